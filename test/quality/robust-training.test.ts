import { describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../../src/data/matrix.js'
import { predictedClasses } from '../../src/models/classifier.js'
import { type DenseNetwork, networkFromLogistic, predictNetwork } from '../../src/models/dense-network.js'
import { type LogisticModel, predictProbabilities } from '../../src/models/logistic-regression.js'
import { trainMlp } from '../../src/models/mlp.js'
import { pgdAttack } from '../../src/robust/pgd.js'
import { trainRobustLogistic } from '../../src/robust/robust-logistic.js'
import { trainAdversarialMlp } from '../../src/robust/robust-mlp.js'
import { createRng } from '../../src/util/rng.js'
import { mnistSplit } from '../fixtures/mnist-split.js'

const split = mnistSplit()
const pixelBounds = [0, 1] as const

function accuracy(model: LogisticModel, x: FeatureMatrix, labels: Int32Array): number {
  const { data, cols } = predictProbabilities(model, x)
  let correct = 0
  for (let row = 0; row < x.rows; row++) {
    let best = 0
    for (let c = 1; c < cols; c++) if (data[row * cols + c] > data[row * cols + best]) best = c
    if (best === labels[row]) correct++
  }
  return correct / x.rows
}

/** The test digits after PGD (L∞, ε = 0.1 on [0,1] pixels) attacks each one against this network. */
function attack(network: DenseNetwork): FeatureMatrix {
  return pgdAttack(network, split.test, split.testLabels, { epsilon: 0.1, steps: 10, bounds: pixelBounds })
}

function robustAccuracy(model: LogisticModel): number {
  return accuracy(model, attack(networkFromLogistic(model)), split.testLabels)
}

function networkAccuracy(network: DenseNetwork, x: FeatureMatrix): number {
  const predicted = predictedClasses(predictNetwork(network, x))
  return predicted.filter((code, row) => code === split.testLabels[row]).length / x.rows
}

const standard = trainRobustLogistic(split.train, split.trainLabels, { epochs: 3 })

describe('robust training of logistic regression on the 8,000 / 2,000 MNIST split', () => {
  it('doubles the accuracy under PGD (ε = 0.1) by adversarial training, clean accuracy within 5 points', () => {
    const adversarial = trainRobustLogistic(split.train, split.trainLabels, {
      epochs: 3,
      adversarial: { epsilon: 0.07, steps: 2, bounds: pixelBounds },
    })
    const standardRobust = robustAccuracy(standard)
    expect(standardRobust).toBeLessThan(0.5)
    expect(robustAccuracy(adversarial)).toBeGreaterThanOrEqual(2 * standardRobust)
    expect(accuracy(adversarial, split.test, split.testLabels)).toBeGreaterThanOrEqual(
      accuracy(standard, split.test, split.testLabels) - 0.05,
    )
  })

  it('keeps the generalised cross-entropy near clean accuracy with 40% of the labels flipped at random', () => {
    const rng = createRng(5)
    const noisy = Int32Array.from(split.trainLabels, (label) =>
      rng.next() < 0.4 ? (label + 1 + rng.int(9)) % 10 : label,
    )
    const clean = accuracy(standard, split.test, split.testLabels)
    const crossEntropy = accuracy(
      trainRobustLogistic(split.train, noisy, { epochs: 3 }),
      split.test,
      split.testLabels,
    )
    const generalised = accuracy(
      trainRobustLogistic(split.train, noisy, { epochs: 3, loss: 'gce' }),
      split.test,
      split.testLabels,
    )
    expect(generalised).toBeGreaterThanOrEqual(clean - 0.05)
    expect(generalised).toBeGreaterThan(crossEntropy + 0.03)
  })
})

describe('adversarial training of the MLP on the 8,000 / 2,000 MNIST split', () => {
  it('doubles the accuracy under PGD (ε = 0.1) with clean accuracy within 5 points', () => {
    // A 16-unit network and two epochs keep the test cheap; bench/robust.mjs measures the default 64 units.
    const settings = { hiddenUnits: 16, epochs: 2, seed: 1 }
    const standardMlp = trainMlp(split.train, split.trainLabels, settings)
    const adversarialMlp = trainAdversarialMlp(split.train, split.trainLabels, {
      ...settings,
      adversarial: { epsilon: 0.07, steps: 2, bounds: pixelBounds },
    })
    const standardRobust = networkAccuracy(standardMlp, attack(standardMlp))
    expect(standardRobust).toBeLessThan(0.5)
    expect(networkAccuracy(adversarialMlp, attack(adversarialMlp))).toBeGreaterThanOrEqual(2 * standardRobust)
    expect(networkAccuracy(adversarialMlp, split.test)).toBeGreaterThanOrEqual(
      networkAccuracy(standardMlp, split.test) - 0.05,
    )
  })
})
