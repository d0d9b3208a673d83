import { describe, expect, it } from 'vitest'
import { mnistArrays, spamRecords } from '../../test/fixtures/datasets.js'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { featurizeText } from '../features/text.js'
import { createRng } from '../util/rng.js'
import { crossValidatedProbabilities, stratifiedFolds } from './cross-validation.js'
import { predictProbabilities, trainLogisticRegression } from './logistic-regression.js'

function accuracy(probabilities: FeatureMatrix, labels: Int32Array): number {
  let correct = 0
  for (let row = 0; row < probabilities.rows; row++) {
    let best = 0
    for (let c = 1; c < probabilities.cols; c++) {
      if (
        probabilities.data[row * probabilities.cols + c] > probabilities.data[row * probabilities.cols + best]
      )
        best = c
    }
    if (best === labels[row]) correct++
  }
  return correct / probabilities.rows
}

function expectRowsSumToOne(probabilities: FeatureMatrix): void {
  for (let row = 0; row < probabilities.rows; row++) {
    let sum = 0
    for (let c = 0; c < probabilities.cols; c++) sum += probabilities.data[row * probabilities.cols + c]
    expect(sum).toBeCloseTo(1, 4)
  }
}

/** Each row has its own feature: a model can only get a row right by having seen it. */
function identityFeatures(rowCount: number): SparseMatrix {
  return {
    indptr: Int32Array.from({ length: rowCount + 1 }, (_, row) => row),
    indices: Int32Array.from({ length: rowCount }, (_, row) => row),
    values: new Float32Array(rowCount).fill(1),
    rows: rowCount,
    cols: rowCount,
  }
}

describe('stratifiedFolds', () => {
  it('spreads every class evenly and balances fold sizes, deterministically', () => {
    const labels = Int32Array.from({ length: 1_003 }, (_, row) => (row < 700 ? 0 : row < 990 ? 1 : 2))
    const folds = stratifiedFolds(labels, 5, createRng(1))
    expect(stratifiedFolds(labels, 5, createRng(1))).toEqual(folds)
    const perClass = [0, 1, 2].map((label) => {
      const counts = new Array(5).fill(0)
      for (let row = 0; row < labels.length; row++) if (labels[row] === label) counts[folds[row]]++
      return counts
    })
    for (const counts of perClass) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
    expect(perClass[2].filter((count) => count > 0).length).toBe(5)
    const sizes = [0, 1, 2, 3, 4].map((fold) => folds.filter((value) => value === fold).length)
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
  })

  it('puts the rows of a class smaller than the fold count in different folds', () => {
    const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2])
    const folds = stratifiedFolds(labels, 5, createRng(3))
    expect(new Set([folds[10], folds[11], folds[12]]).size).toBe(3)
    expect(() => stratifiedFolds(labels, 1, createRng(3))).toThrow(/foldCount must be a whole number ≥ 2/)
  })
})

describe('crossValidatedProbabilities', () => {
  it('predicts each row with a model that never saw it', () => {
    const rowCount = 200
    const rng = createRng(5)
    const labels = Int32Array.from({ length: rowCount }, () => (rng.next() < 0.5 ? 1 : 0))
    const x = identityFeatures(rowCount)
    const memorised = predictProbabilities(trainLogisticRegression(x, labels, { l2: 0, epochs: 20 }), x)
    expect(accuracy(memorised, labels)).toBe(1)
    const outOfFold = crossValidatedProbabilities(x, labels, 2, {
      rng: createRng(2),
      train: { l2: 0, epochs: 20 },
    })
    // Unseen rows only get the bias: the class prior of the other folds, never their own label.
    for (let row = 0; row < rowCount; row++)
      expect(Math.abs(outOfFold.data[row * 2 + 1] - 0.5)).toBeLessThan(0.15)
    expectRowsSumToOne(outOfFold)
  })

  it('handles classes with fewer rows than folds and reports progress per fold', () => {
    const labels = Int32Array.from({ length: 40 }, (_, row) =>
      row === 39 ? 2 : row === 38 || row === 37 ? 1 : 0,
    )
    const rng = createRng(7)
    const x: FeatureMatrix = {
      data: Float32Array.from({ length: 40 * 3 }, (_, i) => labels[Math.floor(i / 3)] * 2 + rng.normal()),
      rows: 40,
      cols: 3,
    }
    const progress: number[] = []
    const probabilities = crossValidatedProbabilities(x, labels, 4, {
      rng: createRng(1),
      onProgress: (fraction) => progress.push(fraction),
    })
    expect([probabilities.rows, probabilities.cols]).toEqual([40, 4])
    expectRowsSumToOne(probabilities)
    expect(probabilities.data[39 * 4 + 2]).toBeLessThan(0.1)
    expect(progress).toEqual([0.2, 0.4, 0.6, 0.8, 1])
    const tiny = crossValidatedProbabilities(
      { data: Float32Array.from([0, 1, 2]), rows: 3, cols: 1 },
      labels.slice(0, 3),
      3,
      {
        rng: createRng(1),
      },
    )
    expect(tiny.rows).toBe(3)
  })

  it('reaches > 0.90 out-of-fold accuracy on raw MNIST pixels (10,000 × 784, 5 folds)', () => {
    const mnist = mnistArrays()
    const x = { data: mnist.pixels, rows: mnist.rowCount, cols: 784 }
    const probabilities = crossValidatedProbabilities(x, mnist.labels, 10, { rng: createRng(11) })
    expect(accuracy(probabilities, mnist.labels)).toBeGreaterThan(0.9)
    expectRowsSumToOne(probabilities)
  })

  it('keeps ≥ 0.84 out-of-fold accuracy on a 64-dimensional random projection of MNIST', () => {
    const mnist = mnistArrays()
    const rng = createRng(7)
    const dimensions = 64
    const projection = Float32Array.from(
      { length: 784 * dimensions },
      () => rng.normal() / Math.sqrt(dimensions),
    )
    const data = new Float32Array(mnist.rowCount * dimensions)
    for (let row = 0; row < mnist.rowCount; row++) {
      for (let pixel = 0; pixel < 784; pixel++) {
        const value = mnist.pixels[row * 784 + pixel]
        if (value === 0) continue
        for (let d = 0; d < dimensions; d++)
          data[row * dimensions + d] += value * projection[pixel * dimensions + d]
      }
    }
    const x = { data, rows: mnist.rowCount, cols: dimensions }
    const probabilities = crossValidatedProbabilities(x, mnist.labels, 10, { rng: createRng(11) })
    expect(accuracy(probabilities, mnist.labels)).toBeGreaterThan(0.84)
  })

  it('reaches > 0.97 out-of-fold accuracy on SpamAssassin TF-IDF (6,046 mails, 5 folds)', () => {
    const records = spamRecords()
    const labels = Int32Array.from(records, (record) => (record.label === 'spam' ? 1 : 0))
    const { matrix } = featurizeText(records.map((record) => record.text))
    const probabilities = crossValidatedProbabilities(matrix, labels, 2, { rng: createRng(11) })
    expect(accuracy(probabilities, labels)).toBeGreaterThan(0.97)
  })
})
