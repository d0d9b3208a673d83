import { describe, expect, it } from 'vitest'
import { mnistArrays } from '../../test/fixtures/datasets.js'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { createRng, type Rng } from '../util/rng.js'
import { orthonormaliseColumns, symmetricEigen } from './decompositions.js'
import { multiplyDense, transpose } from './dense.js'
import { createOnnxBackend } from './onnx/index.js'
import { transposeSparse } from './operators.js'
import { denseOperator, pca, randomizedSvd, sparseOperator } from './svd.js'

function gaussian(rows: number, cols: number, rng: Rng): FeatureMatrix {
  return { data: Float32Array.from({ length: rows * cols }, () => rng.normal()), rows, cols }
}

/** U · diag(values) · Vᵀ with random orthonormal U (rows × r) and V (cols × r). */
function lowRankMatrix(rows: number, cols: number, values: number[], rng: Rng): FeatureMatrix {
  const u = orthonormaliseColumns(gaussian(rows, values.length, rng))
  const v = orthonormaliseColumns(gaussian(cols, values.length, rng))
  for (let row = 0; row < rows; row++) {
    values.forEach((value, col) => {
      u.data[row * values.length + col] *= value
    })
  }
  return multiplyDense(u, transpose(v))
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
}

function expectOrthonormalColumns(matrix: FeatureMatrix): void {
  const gram = multiplyDense(transpose(matrix), matrix)
  for (let i = 0; i < matrix.cols; i++) {
    for (let j = 0; j < matrix.cols; j++)
      expect(gram.data[i * matrix.cols + j]).toBeCloseTo(i === j ? 1 : 0, 4)
  }
}

function randomSparse(rows: number, cols: number, perRow: number, rng: Rng): SparseMatrix {
  const indptr = new Int32Array(rows + 1)
  const indices: number[] = []
  const values: number[] = []
  for (let row = 0; row < rows; row++) {
    const chosen = new Set<number>()
    while (chosen.size < perRow) chosen.add(rng.int(cols))
    for (const col of [...chosen].sort((a, b) => a - b)) {
      indices.push(col)
      values.push(rng.normal())
    }
    indptr[row + 1] = indices.length
  }
  return { indptr, indices: Int32Array.from(indices), values: Float32Array.from(values), rows, cols }
}

function densify(csr: SparseMatrix): FeatureMatrix {
  const data = new Float32Array(csr.rows * csr.cols)
  for (let row = 0; row < csr.rows; row++) {
    for (let e = csr.indptr[row]; e < csr.indptr[row + 1]; e++)
      data[row * csr.cols + csr.indices[e]] = csr.values[e]
  }
  return { data, rows: csr.rows, cols: csr.cols }
}

describe('small decompositions', () => {
  it('Jacobi finds the eigenpairs of a symmetric matrix', () => {
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 0, 1, 2, 0, 0, 0, 5), 3)
    expect(Array.from(values)).toEqual([expect.closeTo(5, 12), expect.closeTo(3, 12), expect.closeTo(1, 12)])
    expect(Math.abs(vectors[2 * 3 + 0])).toBeCloseTo(1, 12)
    expect(Math.abs(vectors[0 * 3 + 1])).toBeCloseTo(Math.SQRT1_2, 12)
    expect(vectors[0 * 3 + 1] * vectors[1 * 3 + 1]).toBeGreaterThan(0)
  })

  it('Gram–Schmidt returns zero columns, not NaN, for dependent input', () => {
    const rng = createRng(3)
    const matrix = gaussian(50, 4, rng)
    for (let row = 0; row < 50; row++) matrix.data[row * 4 + 2] = 2 * matrix.data[row * 4]
    for (let row = 0; row < 50; row++) matrix.data[row * 4 + 3] = 0
    const q = orthonormaliseColumns(matrix)
    expect(q.data.every(Number.isFinite)).toBe(true)
    const basis = { data: new Float32Array(50 * 2), rows: 50, cols: 2 }
    for (let row = 0; row < 50; row++) basis.data.set([q.data[row * 4], q.data[row * 4 + 1]], row * 2)
    expectOrthonormalColumns(basis)
    for (let row = 0; row < 50; row++)
      expect(q.data[row * 4 + 2] === 0 && q.data[row * 4 + 3] === 0).toBe(true)
  })
})

/**
 * Modified Gram–Schmidt as textbooks write it, one pass for each dot product and one for each subtraction, with one
 * re-orthogonalisation when a column loses half its norm: the sums `orthonormaliseColumns` must reproduce.
 */
function textbookGramSchmidt(matrix: FeatureMatrix): Float32Array {
  const { rows, cols, data } = matrix
  const columns = new Float64Array(rows * cols)
  for (let row = 0; row < rows; row++)
    for (let col = 0; col < cols; col++) columns[col * rows + row] = data[row * cols + col]
  const norm = (col: number) => {
    let sum = 0
    for (let row = 0; row < rows; row++) sum += columns[col * rows + row] * columns[col * rows + row]
    return Math.sqrt(sum)
  }
  const project = (col: number) => {
    for (let previous = 0; previous < col; previous++) {
      let dot = 0
      for (let row = 0; row < rows; row++) dot += columns[previous * rows + row] * columns[col * rows + row]
      if (dot === 0) continue
      for (let row = 0; row < rows; row++) columns[col * rows + row] -= dot * columns[previous * rows + row]
    }
    return norm(col)
  }
  let largest = 0
  for (let col = 0; col < cols; col++) largest = Math.max(largest, norm(col))
  for (let col = 0; col < cols; col++) {
    const before = norm(col)
    let after = project(col)
    if (after < 0.5 * before) after = project(col)
    const scale = after > 1e-6 * largest ? 1 / after : 0
    for (let row = 0; row < rows; row++) columns[col * rows + row] *= scale
  }
  const out = new Float32Array(rows * cols)
  for (let row = 0; row < rows; row++)
    for (let col = 0; col < cols; col++) out[row * cols + col] = columns[col * rows + row]
  return out
}

describe('Gram–Schmidt on digits', () => {
  it('gives the textbook loop’s values bit for bit, zero and repeated columns included', () => {
    // 784 pixels × 40 digits: alike digits lose most of their norm to the earlier ones (re-orthogonalised), a
    // blank column has only zero dot products, and a repeated digit is dependent.
    const { pixels } = mnistArrays()
    const cols = 40
    const matrix: FeatureMatrix = { data: new Float32Array(784 * cols), rows: 784, cols }
    for (let col = 0; col < cols - 2; col++)
      for (let row = 0; row < 784; row++) matrix.data[row * cols + col] = pixels[col * 784 + row]
    for (let row = 0; row < 784; row++) matrix.data[row * cols + cols - 1] = pixels[3 * 784 + row]
    expect(Array.from(orthonormaliseColumns(matrix).data)).toEqual(Array.from(textbookGramSchmidt(matrix)))
  })
})

describe('operators', () => {
  it.each([
    [40, 70],
    [70, 40],
  ])('sparse and dense operators give the same products (%i × %i)', async (rows, cols) => {
    const rng = createRng(rows)
    const csr = randomSparse(rows, cols, 6, rng)
    const dense = denseOperator(densify(csr))
    const sparse = sparseOperator(csr)
    for (const width of [5, 13]) {
      const right = gaussian(cols, width, rng)
      const left = gaussian(rows, width, rng)
      const product = await sparse.multiply(right)
      expect([product.rows, product.cols]).toEqual([rows, width])
      expect(maxAbsDifference(product.data, (await dense.multiply(right)).data)).toBeLessThan(1e-5)
      const transposed = await sparse.multiplyTransposed(left)
      expect([transposed.rows, transposed.cols]).toEqual([cols, width])
      expect(maxAbsDifference(transposed.data, (await dense.multiplyTransposed(left)).data)).toBeLessThan(
        1e-5,
      )
    }
  })

  it('transposes CSR matrices exactly', () => {
    const csr = randomSparse(30, 50, 4, createRng(12))
    const twice = transposeSparse(transposeSparse(csr))
    expect(twice).toEqual(csr)
    expect(densify(transposeSparse(csr)).data).toEqual(transpose(densify(csr)).data)
  })
})

describe('randomized SVD', () => {
  const values = [50, 20, 10, 5, 2]

  it.each([
    [300, 80],
    [80, 300],
  ])('recovers the singular values and factors of a rank-5 %i × %i matrix', async (rows, cols) => {
    const matrix = lowRankMatrix(rows, cols, values, createRng(5))
    const svd = await randomizedSvd(denseOperator(matrix), 5, { rng: createRng(9) })
    Array.from(svd.singularValues).forEach((value, i) => {
      expect(value).toBeCloseTo(values[i], 3)
    })
    expectOrthonormalColumns(svd.u)
    expectOrthonormalColumns(transpose(svd.vt))
    const scaled = new Float32Array(svd.u.data)
    for (let i = 0; i < scaled.length; i++) scaled[i] *= svd.singularValues[i % 5]
    const rebuilt = multiplyDense({ ...svd.u, data: scaled }, svd.vt)
    expect(maxAbsDifference(rebuilt.data, matrix.data)).toBeLessThan(1e-3)
  })

  it('gives the same spectrum through the sparse operator', async () => {
    const csr = randomSparse(120, 400, 12, createRng(21))
    const options = { rng: createRng(2), powerIterations: 6 }
    const sparse = await randomizedSvd(sparseOperator(csr), 8, options)
    const dense = await randomizedSvd(denseOperator(densify(csr)), 8, { ...options, rng: createRng(2) })
    expect(maxAbsDifference(sparse.singularValues, dense.singularValues)).toBeLessThan(1e-3)
    expect(sparse.singularValues[0]).toBeGreaterThan(sparse.singularValues[7])
  })

  it('rejects a rank above the smaller dimension and bad options', async () => {
    const matrix = gaussian(10, 4, createRng(1))
    await expect(randomizedSvd(denseOperator(matrix), 5, { rng: createRng(1) })).rejects.toMatchObject({
      code: 'NOT_ENOUGH_DATA',
    })
    await expect(randomizedSvd(denseOperator(matrix), 0, { rng: createRng(1) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    const negative = { rng: createRng(1), powerIterations: -1 }
    await expect(randomizedSvd(denseOperator(matrix), 2, negative)).rejects.toThrow(/powerIterations/)
  })
})

describe('PCA', () => {
  it('recovers known variances and leaves zero and constant columns harmless', async () => {
    const rng = createRng(8)
    const rows = 4000
    const deviations = [3, 2, 1, 0.5]
    const data = new Float32Array(rows * 6)
    for (let row = 0; row < rows; row++) {
      deviations.forEach((deviation, col) => {
        data[row * 6 + col] = 10 + deviation * rng.normal()
      })
      data[row * 6 + 5] = 7
    }
    const matrix = { data, rows, cols: 6 }
    const result = await pca(matrix, 5, { rng: createRng(1) })
    const all = [...result.projected.data, ...result.components.data, ...result.explainedVariance]
    expect(all.every(Number.isFinite)).toBe(true)
    deviations.forEach((deviation, i) => {
      expect(result.explainedVariance[i] / deviation ** 2).toBeGreaterThan(0.92)
      expect(result.explainedVariance[i] / deviation ** 2).toBeLessThan(1.08)
    })
    expect(result.explainedVariance[4]).toBeLessThan(1e-6)
    expect(result.mean[0]).toBeCloseTo(10, 0)
    expect(result.mean[5]).toBeCloseTo(7, 5)
    const ratioSum = result.explainedVarianceRatio.reduce((sum, ratio) => sum + ratio, 0)
    expect(ratioSum).toBeCloseTo(1, 4)
    expect(Math.abs(result.components.data[0])).toBeGreaterThan(0.99)
  })

  it('projects onto the components: projected = (X − mean) · componentsᵀ', async () => {
    const matrix = lowRankMatrix(200, 30, [9, 4, 2, 1], createRng(4))
    const result = await pca(matrix, 3, { rng: createRng(6) })
    const centred = new Float32Array(matrix.data)
    for (let i = 0; i < centred.length; i++) centred[i] -= result.mean[i % 30]
    const expected = multiplyDense({ ...matrix, data: centred }, transpose(result.components))
    expect(maxAbsDifference(expected.data, result.projected.data)).toBeLessThan(1e-4)
  })

  it('on MNIST: ONNX and portable products agree, variance is sane', async () => {
    const mnist = mnistArrays()
    const matrix: FeatureMatrix = { data: mnist.pixels.subarray(0, 2000 * 784), rows: 2000, cols: 784 }
    const backend = await createOnnxBackend()
    try {
      const fast = await pca(matrix, 20, { rng: createRng(3), backend })
      const portable = await pca(matrix, 20, { rng: createRng(3) })
      expect(maxAbsDifference(fast.explainedVariance, portable.explainedVariance)).toBeLessThan(1e-3)
      const ratios = Array.from(fast.explainedVarianceRatio)
      const total = ratios.reduce((sum, ratio) => sum + ratio, 0)
      // Published for MNIST: the first component explains about 10% and twenty about 64% of the pixel variance.
      expect(ratios[0]).toBeGreaterThan(0.08)
      expect(ratios[0]).toBeLessThan(0.12)
      expect(total).toBeGreaterThan(0.55)
      expect(total).toBeLessThan(0.72)
      for (let i = 1; i < ratios.length; i++) expect(ratios[i]).toBeLessThanOrEqual(ratios[i - 1] + 1e-6)
      expect(fast.projected.data.every(Number.isFinite)).toBe(true)
    } finally {
      await backend.dispose()
    }
  })
})
