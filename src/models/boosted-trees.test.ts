import { describe, expect, it } from 'vitest'
import { createMatrix, type FeatureMatrix } from '../data/matrix.js'
import { createRng } from '../util/rng.js'
import { crossValidatedBoostedProbabilities } from './boosted-cross-validation.js'
import { fitBoostedTrees, predictBoostedTrees } from './boosted-trees.js'
import { crossValidatedProbabilities } from './cross-validation.js'
import { binMatrix, fitBinEdges } from './feature-bins.js'

/** Points in the square [-1, 1]², labelled by whether their two coordinates share a sign: no line separates them. */
function xor(rowCount: number, seed: number) {
  const rng = createRng(seed)
  const data = new Float32Array(rowCount * 2)
  const labels = new Int32Array(rowCount)
  for (let row = 0; row < rowCount; row++) {
    data[row * 2] = 2 * rng.next() - 1
    data[row * 2 + 1] = 2 * rng.next() - 1
    labels[row] = data[row * 2] * data[row * 2 + 1] > 0 ? 1 : 0
  }
  return { x: createMatrix(rowCount, 2, data), labels }
}

function accuracy(probabilities: FeatureMatrix, labels: Int32Array): number {
  let correct = 0
  for (let row = 0; row < probabilities.rows; row++) {
    const scores = probabilities.data.subarray(row * probabilities.cols, (row + 1) * probabilities.cols)
    if (scores.indexOf(Math.max(...scores)) === labels[row]) correct++
  }
  return correct / probabilities.rows
}

const allRows = (count: number) => Int32Array.from({ length: count }, (_, row) => row)

describe('fitBinEdges and binMatrix', () => {
  it('puts each of few distinct values in a bin of its own', () => {
    const x = createMatrix(6, 1, Float32Array.from([0, 16, 3, 3, 0, 16]))
    const bins = fitBinEdges(x, allRows(6), 255)
    expect(Array.from(bins.edges[0])).toEqual([1.5, 9.5])
    expect(Array.from(binMatrix(x, bins))).toEqual([0, 2, 1, 1, 0, 2])
  })

  it('cuts many distinct values at quantiles into at most the bins asked for', () => {
    const x = createMatrix(
      1000,
      1,
      Float32Array.from({ length: 1000 }, (_, row) => row),
    )
    const bins = fitBinEdges(x, allRows(1000), 4)
    expect(Array.from(bins.edges[0])).toEqual([249, 499, 749])
    const counts = [0, 0, 0, 0]
    for (const code of binMatrix(x, bins)) counts[code]++
    expect(counts).toEqual([250, 250, 250, 250])
  })
})

describe('fitBoostedTrees', () => {
  it('learns a boundary no linear model draws: XOR of two signs, out of fold', () => {
    const { x, labels } = xor(600, 1)
    const trees = crossValidatedBoostedProbabilities(x, labels, 2, { rng: createRng(1) })
    const linear = crossValidatedProbabilities(x, labels, 2, { rng: createRng(1) })
    expect(accuracy(trees, labels)).toBeGreaterThan(0.95)
    expect(accuracy(linear, labels)).toBeLessThan(0.65)
  })

  it('matches one round of stumps computed by hand', () => {
    // Two classes, even priors: every probability starts at 1/2, so each gradient of the second class's logit is
    // ±1/2 and each hessian 1/4. Each leaf holds two rows: value −(±1)/(2·1/4 + l2) = ∓2/3 with l2 = 1.
    const x = createMatrix(4, 1, Float32Array.from([0, 0, 1, 1]))
    const labels = Int32Array.from([0, 0, 1, 1])
    const model = fitBoostedTrees(x, labels, allRows(4), {
      classCount: 2,
      rounds: 1,
      maxLeaves: 2,
      minLeafRows: 1,
      learningRate: 1,
      l2: 1,
    })
    const probabilities = predictBoostedTrees(model, x)
    const expected = 1 / (1 + Math.exp(-2 / 3))
    expect(probabilities.data[0]).toBeCloseTo(expected, 6)
    expect(probabilities.data[3 * 2 + 1]).toBeCloseTo(expected, 6)
    expect(probabilities.data[1] + probabilities.data[0]).toBeCloseTo(1, 6)
  })

  it('gives the same model for the same seed, drawing rows each round', () => {
    const { x, labels } = xor(300, 2)
    const train = (seed: number) =>
      predictBoostedTrees(
        fitBoostedTrees(x, labels, allRows(300), {
          classCount: 2,
          rounds: 20,
          rowShare: 0.5,
          rng: createRng(seed),
        }),
        x,
      ).data
    expect(train(7)).toEqual(train(7))
    expect(train(7)).not.toEqual(train(8))
  })

  it('stops early on held-out rows and keeps the rounds up to the best', () => {
    const { x, labels } = xor(400, 3)
    const model = fitBoostedTrees(x, labels, allRows(300), {
      classCount: 2,
      rounds: 500,
      validationRows: Int32Array.from({ length: 100 }, (_, at) => 300 + at),
      patience: 5,
    })
    expect(model.rounds).toBeGreaterThan(0)
    expect(model.rounds).toBeLessThan(500)
    expect(model.roots).toHaveLength(model.rounds)
  })
})

describe('crossValidatedBoostedProbabilities', () => {
  it('is deterministic for a seed and leaves unlabelled rows out', () => {
    const { x, labels } = xor(300, 4)
    labels[5] = -1
    const run = () => crossValidatedBoostedProbabilities(x, labels, 2, { rng: createRng(3) }).data
    const first = run()
    expect(first).toEqual(run())
    expect(Array.from(first.subarray(10, 12))).toEqual([0, 0])
    expect(first[0] + first[1]).toBeCloseTo(1, 5)
  })
})
