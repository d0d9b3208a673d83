import { describe, expect, it } from 'vitest'
import { createMatrix, type FeatureMatrix } from '../data/matrix.js'
import { isPoisonguardError } from '../errors.js'
import { applyStandardization, standardize } from '../features/standardize.js'
import { createRng } from '../util/rng.js'
import { foldStandardization, inputGradient, networkFromLogistic, predictNetwork } from './dense-network.js'
import { trainLogisticRegression } from './logistic-regression.js'
import { trainMlp } from './mlp.js'

/** Two noisy rings around the origin: no line separates them, one hidden layer does. */
function rings(rowCount: number, seed: number) {
  const rng = createRng(seed)
  const data = new Float32Array(rowCount * 2)
  const labels = new Int32Array(rowCount)
  for (let row = 0; row < rowCount; row++) {
    labels[row] = row % 2
    const radius = (labels[row] === 0 ? 1 : 3) + 0.3 * rng.normal()
    const angle = 2 * Math.PI * rng.next()
    data[row * 2] = radius * Math.cos(angle)
    data[row * 2 + 1] = radius * Math.sin(angle)
  }
  return { x: createMatrix(rowCount, 2, data), labels }
}

function accuracy(probabilities: FeatureMatrix, labels: Int32Array): number {
  let correct = 0
  for (let row = 0; row < labels.length; row++) {
    const p = probabilities.data.subarray(row * probabilities.cols, (row + 1) * probabilities.cols)
    if (p.indexOf(Math.max(...p)) === labels[row]) correct++
  }
  return correct / labels.length
}

describe('trainMlp', () => {
  const train = rings(600, 1)
  const test = rings(400, 2)

  it('separates classes no linear model can', () => {
    const mlp = trainMlp(train.x, train.labels, { hiddenUnits: 16, epochs: 40, batchSize: 32, seed: 3 })
    const linear = networkFromLogistic(trainLogisticRegression(train.x, train.labels, { epochs: 20 }))
    expect(accuracy(predictNetwork(mlp, test.x), test.labels)).toBeGreaterThan(0.95)
    expect(accuracy(predictNetwork(linear, test.x), test.labels)).toBeLessThan(0.7)
  })

  it('gives the same weights for the same seed and different ones for another', () => {
    const options = { hiddenUnits: 8, epochs: 2 }
    const first = trainMlp(train.x, train.labels, { ...options, seed: 5 })
    const again = trainMlp(train.x, train.labels, { ...options, seed: 5 })
    const other = trainMlp(train.x, train.labels, { ...options, seed: 6 })
    expect(again.layers[0].weights).toEqual(first.layers[0].weights)
    expect(other.layers[0].weights).not.toEqual(first.layers[0].weights)
  })

  it('rejects bad labels and settings with every problem listed', () => {
    const error = (() => {
      try {
        trainMlp(train.x, Int32Array.of(0, 5), { classCount: 2, epochs: 0 })
      } catch (caught) {
        return caught
      }
    })()
    expect(isPoisonguardError(error) && error.code).toBe('INVALID_ARGUMENT')
    expect((error as Error).message).toMatch(/2 labels for 600 rows.*outside 0\.\.1.*epochs 0/)
  })
})

describe('dense network', () => {
  const { x, labels } = rings(200, 4)
  const mlp = trainMlp(x, labels, { hiddenUnits: 8, epochs: 3, batchSize: 32, seed: 1 })

  it('returns the input gradient of the cross-entropy (checked by finite differences)', () => {
    const targets = Int32Array.from({ length: x.rows }, (_, row) => (row * 7) % 2)
    const { gradient } = inputGradient(mlp, x, targets)
    const loss = (point: FeatureMatrix, row: number) =>
      -Math.log(predictNetwork(mlp, point).data[row * 2 + targets[row]])
    for (const [row, col] of [
      [0, 0],
      [3, 1],
      [17, 0],
    ]) {
      const shifted = Float32Array.from(x.data)
      const h = 1e-2
      shifted[row * 2 + col] += h
      const plus = loss(createMatrix(x.rows, 2, shifted), row)
      shifted[row * 2 + col] -= 2 * h
      const minus = loss(createMatrix(x.rows, 2, shifted), row)
      // Float32 activations and the ReLU kinks allow a few per cent of disagreement, not a wrong sign or scale.
      const numeric = (plus - minus) / (2 * h)
      expect(Math.abs(gradient[row * 2 + col] - numeric)).toBeLessThan(0.06 * Math.abs(numeric) + 0.01)
    }
  })

  it('folds a standardisation into the first layer without changing predictions', () => {
    const raw = createMatrix(
      x.rows,
      2,
      Float32Array.from(x.data, (value, i) => value * 10 + (i % 2) * 5),
    )
    const { matrix, mean, scale } = standardize(raw)
    const folded = foldStandardization(mlp, mean, scale)
    const direct = predictNetwork(mlp, applyStandardization(raw, mean, scale)).data
    const viaFold = predictNetwork(folded, raw).data
    for (let i = 0; i < direct.length; i++) expect(viaFold[i]).toBeCloseTo(direct[i], 4)
    expect(matrix.rows).toBe(raw.rows)
  })
})
