import { describe, expect, it } from 'vitest'
import { createMatrix, type FeatureMatrix, type SparseMatrix } from '../data/matrix.js'
import { isPoisonguardError } from '../errors.js'
import { createRng } from '../util/rng.js'
import { createDesign } from './design.js'
import { minimizeLbfgs } from './lbfgs.js'
import { predictProbabilities, trainLogisticRegression } from './logistic-regression.js'
import { createSoftmaxObjective } from './softmax-objective.js'

/** Three Gaussian blobs in `cols` dimensions; only the first two dimensions carry signal. */
function blobs(rowsPerClass: number, cols: number, seed: number, spread = 1) {
  const rng = createRng(seed)
  const centres = [
    [3, 0],
    [-3, 3],
    [-3, -3],
  ]
  const rows = rowsPerClass * 3
  const data = new Float32Array(rows * cols)
  const labels = new Int32Array(rows)
  for (let row = 0; row < rows; row++) {
    labels[row] = row % 3
    for (let col = 0; col < cols; col++) {
      data[row * cols + col] = (col < 2 ? centres[labels[row]][col] : 0) + spread * rng.normal()
    }
  }
  return { x: createMatrix(rows, cols, data), labels }
}

function toSparse(matrix: FeatureMatrix): SparseMatrix {
  const indptr = new Int32Array(matrix.rows + 1)
  const indices: number[] = []
  const values: number[] = []
  for (let row = 0; row < matrix.rows; row++) {
    for (let col = 0; col < matrix.cols; col++) {
      const value = matrix.data[row * matrix.cols + col]
      if (value !== 0) {
        indices.push(col)
        values.push(value)
      }
    }
    indptr[row + 1] = indices.length
  }
  return {
    indptr,
    indices: Int32Array.from(indices),
    values: Float32Array.from(values),
    rows: matrix.rows,
    cols: matrix.cols,
  }
}

function accuracy(probabilities: FeatureMatrix, labels: Int32Array): number {
  let correct = 0
  for (let row = 0; row < probabilities.rows; row++) {
    const scores = probabilities.data.subarray(row * probabilities.cols, (row + 1) * probabilities.cols)
    if (scores.indexOf(Math.max(...scores)) === labels[row]) correct++
  }
  return correct / probabilities.rows
}

describe('softmax objective', () => {
  it('has the gradient of its value (central differences), with class weights and L2', () => {
    const { x, labels } = blobs(10, 4, 3)
    const rowWeights = Float64Array.from(labels, (label) => [1, 2, 0.5][label])
    const rows = Int32Array.from({ length: x.rows }, (_, row) => row)
    const problem = {
      design: createDesign(x),
      labels,
      rows,
      classCount: 3,
      parameterClasses: 3,
      rowWeights,
      l2: 0.1,
    }
    const objective = createSoftmaxObjective(problem)
    const rng = createRng(9)
    const point = Float64Array.from({ length: 15 }, () => rng.normal())
    const gradient = new Float64Array(15)
    objective(point, gradient)
    const scratch = new Float64Array(15)
    for (let i = 0; i < 15; i++) {
      const step = 1e-5
      const shifted = Float64Array.from(point)
      shifted[i] += step
      const above = objective(shifted, scratch)
      shifted[i] -= 2 * step
      const below = objective(shifted, scratch)
      expect(gradient[i]).toBeCloseTo((above - below) / (2 * step), 6)
    }
  })
})

describe('minimizeLbfgs', () => {
  it('finds the minimum of an ill-conditioned quadratic', () => {
    const curvature = [1, 10, 100, 1000]
    const target = [1, -2, 3, -4]
    const result = minimizeLbfgs(
      (point, gradient) => {
        let value = 0
        for (let i = 0; i < 4; i++) {
          gradient[i] = curvature[i] * (point[i] - target[i])
          value += 0.5 * curvature[i] * (point[i] - target[i]) ** 2
        }
        return value
      },
      new Float64Array(4),
      { maxIterations: 100, tolerance: 1e-14 },
    )
    for (let i = 0; i < 4; i++) expect(result.point[i]).toBeCloseTo(target[i], 4)
    expect(result.iterations).toBeLessThan(50)
  })
})

describe('trainLogisticRegression', () => {
  const train = blobs(100, 5, 1)
  const test = blobs(100, 5, 2)

  it('separates three classes with either solver, probabilities summing to 1', () => {
    for (const solver of ['sgd', 'lbfgs'] as const) {
      const model = trainLogisticRegression(train.x, train.labels, { solver })
      const probabilities = predictProbabilities(model, test.x)
      expect([probabilities.rows, probabilities.cols]).toEqual([300, 3])
      expect(accuracy(probabilities, test.labels)).toBeGreaterThan(0.95)
      for (let row = 0; row < 300; row++) {
        const sum =
          probabilities.data[row * 3] + probabilities.data[row * 3 + 1] + probabilities.data[row * 3 + 2]
        expect(sum).toBeCloseTo(1, 5)
      }
    }
  })

  it('stays finite on huge feature values', () => {
    const scaled = createMatrix(
      train.x.rows,
      train.x.cols,
      train.x.data.map((value) => value * 1e6),
    )
    const model = trainLogisticRegression(scaled, train.labels, { solver: 'lbfgs', l2: 0 })
    const probabilities = predictProbabilities(model, scaled)
    expect(probabilities.data.every(Number.isFinite)).toBe(true)
    expect(accuracy(probabilities, train.labels)).toBeGreaterThan(0.95)
  })

  it('trains the same model from dense and sparse copies of the data', () => {
    const withZeros = createMatrix(
      train.x.rows,
      train.x.cols,
      train.x.data.map((v) => (Math.abs(v) < 0.5 ? 0 : v)),
    )
    for (const solver of ['sgd', 'lbfgs'] as const) {
      const dense = trainLogisticRegression(withZeros, train.labels, { solver, rng: createRng(4) })
      const sparse = trainLogisticRegression(toSparse(withZeros), train.labels, { solver, rng: createRng(4) })
      for (let i = 0; i < dense.weights.length; i++)
        expect(sparse.weights[i]).toBeCloseTo(dense.weights[i], 4)
    }
  })

  it('measures density over the used columns alike for dense and sparse copies, and fits rare columns longer', () => {
    // Every row holds one of 20 columns of its class, as hashed terms of few texts do: each weight sees few rows.
    const rows = 120
    const cols = 400
    const data = new Float32Array(rows * cols)
    const labels = new Int32Array(rows)
    for (let row = 0; row < rows; row++) {
      labels[row] = row % 2
      data[row * cols + labels[row] * 40 + (row % 40)] = 1
    }
    const rare = createMatrix(rows, cols, data)
    const density = createDesign(rare).density()
    expect(density).toBeCloseTo(1 / 40, 10)
    expect(createDesign(toSparse(rare)).density()).toBe(density)
    expect(createDesign(train.x).density()).toBe(1)
    // By default the rare columns get the passes of 2,000 row visits, not three: a larger margin on their own rows.
    const margin = (epochs?: number) => {
      const p = predictProbabilities(
        trainLogisticRegression(rare, labels, { epochs, rng: createRng(2) }),
        rare,
      )
      let sum = 0
      for (let row = 0; row < rows; row++) sum += p.data[row * 2 + labels[row]]
      return sum / rows
    }
    expect(margin()).toBeCloseTo(margin(Math.ceil(2000 / rows)), 10)
    expect(margin()).toBeGreaterThan(margin(3))
  })

  it('takes the same per-row steps in mini-batches: batches of 1 to 32 rows give nearly the same probabilities', () => {
    const noisy = blobs(200, 8, 6, 2)
    const held = blobs(100, 8, 7, 2)
    const predict = (batchRows: number) =>
      predictProbabilities(
        trainLogisticRegression(noisy.x, noisy.labels, { batchRows, rng: createRng(4) }),
        held.x,
      )
    const perRow = predict(1)
    for (const batchRows of [8, 32]) {
      const batched = predict(batchRows)
      let meanDifference = 0
      for (let i = 0; i < batched.data.length; i++)
        meanDifference += Math.abs(batched.data[i] - perRow.data[i]) / batched.data.length
      expect(meanDifference).toBeLessThan(0.02)
      expect(accuracy(batched, held.labels)).toBeGreaterThanOrEqual(accuracy(perRow, held.labels) - 0.01)
    }
  })

  it('trains a binary model that is the symmetric two-class softmax optimum', () => {
    const binary = blobs(60, 3, 5, 2)
    const labels = binary.labels.map((label) => (label === 0 ? 0 : 1))
    const l2 = 0.01
    const model = trainLogisticRegression(binary.x, labels, {
      solver: 'lbfgs',
      l2,
      tolerance: 1e-12,
      maxIterations: 500,
    })
    const rows = Int32Array.from({ length: binary.x.rows }, (_, row) => row)
    const objective = createSoftmaxObjective({
      design: createDesign(binary.x),
      labels,
      rows,
      classCount: 2,
      parameterClasses: 2,
      rowWeights: new Float64Array(binary.x.rows).fill(1),
      l2,
    })
    const point = Float64Array.from([...model.weights, ...model.bias])
    const gradient = new Float64Array(point.length)
    objective(point, gradient)
    for (const component of gradient) expect(Math.abs(component)).toBeLessThan(1e-4)
    for (let j = 0; j < 3; j++) expect(model.weights[2 * j]).toBeCloseTo(-model.weights[2 * j + 1], 6)
  })

  it('is deterministic for a seed and lets class weights favour a rare class', () => {
    const rng = createRng(6)
    const rowCount = 420
    const labels = Int32Array.from({ length: rowCount }, (_, row) => (row % 21 === 0 ? 1 : 0))
    const x = createMatrix(
      rowCount,
      2,
      Float32Array.from(
        { length: rowCount * 2 },
        (_, i) => (i % 2 === 0 ? 1.5 * labels[i >> 1] : 0) + rng.normal(),
      ),
    )
    const plain = trainLogisticRegression(x, labels, { rng: createRng(8) })
    expect(trainLogisticRegression(x, labels, { rng: createRng(8) }).weights).toEqual(plain.weights)
    const balanced = trainLogisticRegression(x, labels, { rng: createRng(8), classWeights: 'balanced' })
    const recall = (model: typeof plain) => {
      const probabilities = predictProbabilities(model, x)
      let hits = 0
      for (let row = 0; row < rowCount; row++)
        if (labels[row] === 1 && probabilities.data[row * 2 + 1] > 0.5) hits++
      return hits / 20
    }
    expect(recall(plain)).toBeLessThan(0.3)
    expect(recall(balanced)).toBeGreaterThan(0.6)
  })

  it('rejects mismatched or negative labels and wrong prediction shapes with typed errors', () => {
    const failure = (() => {
      try {
        trainLogisticRegression(train.x, Int32Array.from([0, -1, 2]), { l2: -1 })
      } catch (error) {
        return error
      }
    })()
    expect(isPoisonguardError(failure) && failure.code).toBe('INVALID_ARGUMENT')
    expect(isPoisonguardError(failure) && failure.issues.map((issue) => issue.message)).toEqual([
      '3 labels for 300 rows',
      '1 labels outside 0..2',
      'l2 -1 (expected ≥ 0)',
    ])
    const model = trainLogisticRegression(train.x, train.labels)
    expect(() => predictProbabilities(model, createMatrix(1, 2))).toThrow(
      /expects 5 feature columns, received 2/,
    )
  })
})
