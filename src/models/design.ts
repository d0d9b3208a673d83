import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'

/**
 * Row access shared by the dense and sparse kernels. Weights are feature-major (`weights[feature * classCount +
 * class]`), so each non-zero touches one contiguous run of `classCount` values. One class is special-cased: binary
 * models train a single logit, and a scalar loop is much faster than a loop of length one.
 */
export interface Design {
  readonly rows: number
  readonly cols: number
  /** Adds `x_row · W` to `logits` (length `classCount`). */
  addLogits(row: number, weights: Float64Array, classCount: number, logits: Float64Array): void
  /** Adds the outer product `x_row ⊗ residual` to `gradient` (same layout as the weights). */
  addOuter(row: number, residual: Float64Array, classCount: number, gradient: Float64Array): void
  /** Squared L2 norm of every row, computed once. */
  squaredNorms(): Float64Array
}

/** Tells a CSR matrix from a dense one. */
export function isSparseMatrix(matrix: FeatureMatrix | SparseMatrix): matrix is SparseMatrix {
  return 'indptr' in matrix
}

/*
 * Classes rather than closures: every instance shares one method object, so call sites in the solvers stay
 * monomorphic and inlined however many designs a process creates (closures deoptimise them after the first).
 */
class SparseDesign implements Design {
  readonly rows: number
  readonly cols: number
  private readonly indptr: Int32Array
  private readonly indices: Int32Array
  private readonly values: Float32Array
  private norms: Float64Array | undefined

  constructor(matrix: SparseMatrix) {
    this.rows = matrix.rows
    this.cols = matrix.cols
    this.indptr = matrix.indptr
    this.indices = matrix.indices
    this.values = matrix.values
  }

  addLogits(row: number, weights: Float64Array, classCount: number, logits: Float64Array): void {
    const { indptr, indices, values } = this
    if (classCount === 1) {
      let sum = 0
      for (let k = indptr[row]; k < indptr[row + 1]; k++) sum += values[k] * weights[indices[k]]
      logits[0] += sum
      return
    }
    for (let k = indptr[row]; k < indptr[row + 1]; k++) {
      const value = values[k]
      const offset = indices[k] * classCount
      for (let c = 0; c < classCount; c++) logits[c] += value * weights[offset + c]
    }
  }

  addOuter(row: number, residual: Float64Array, classCount: number, gradient: Float64Array): void {
    const { indptr, indices, values } = this
    if (classCount === 1) {
      const scale = residual[0]
      for (let k = indptr[row]; k < indptr[row + 1]; k++) gradient[indices[k]] += values[k] * scale
      return
    }
    for (let k = indptr[row]; k < indptr[row + 1]; k++) {
      const value = values[k]
      const offset = indices[k] * classCount
      for (let c = 0; c < classCount; c++) gradient[offset + c] += value * residual[c]
    }
  }

  squaredNorms(): Float64Array {
    if (this.norms) return this.norms
    const { indptr, values } = this
    const norms = new Float64Array(this.rows)
    for (let row = 0; row < this.rows; row++) {
      for (let k = indptr[row]; k < indptr[row + 1]; k++) norms[row] += values[k] * values[k]
    }
    this.norms = norms
    return norms
  }
}

/** Zeros are skipped: image pixels are mostly background, which makes this several times faster on MNIST. */
class DenseDesign implements Design {
  readonly rows: number
  readonly cols: number
  private readonly data: Float32Array
  private norms: Float64Array | undefined

  constructor(matrix: FeatureMatrix) {
    this.rows = matrix.rows
    this.cols = matrix.cols
    this.data = matrix.data
  }

  addLogits(row: number, weights: Float64Array, classCount: number, logits: Float64Array): void {
    const { data, cols } = this
    const rowOffset = row * cols
    if (classCount === 1) {
      let sum = 0
      for (let j = 0; j < cols; j++) sum += data[rowOffset + j] * weights[j]
      logits[0] += sum
      return
    }
    for (let j = 0; j < cols; j++) {
      const value = data[rowOffset + j]
      if (value === 0) continue
      const offset = j * classCount
      for (let c = 0; c < classCount; c++) logits[c] += value * weights[offset + c]
    }
  }

  addOuter(row: number, residual: Float64Array, classCount: number, gradient: Float64Array): void {
    const { data, cols } = this
    const rowOffset = row * cols
    if (classCount === 1) {
      const scale = residual[0]
      for (let j = 0; j < cols; j++) gradient[j] += data[rowOffset + j] * scale
      return
    }
    for (let j = 0; j < cols; j++) {
      const value = data[rowOffset + j]
      if (value === 0) continue
      const offset = j * classCount
      for (let c = 0; c < classCount; c++) gradient[offset + c] += value * residual[c]
    }
  }

  squaredNorms(): Float64Array {
    if (this.norms) return this.norms
    const { data, cols } = this
    const norms = new Float64Array(this.rows)
    for (let row = 0; row < this.rows; row++) {
      for (let j = row * cols; j < (row + 1) * cols; j++) norms[row] += data[j] * data[j]
    }
    this.norms = norms
    return norms
  }
}

/** Below this share of non-zeros a dense matrix trains faster compressed: each pass then skips no zeros. */
const compressBelowDensity = 0.5

/** The matrix as CSR when few of its values are non-zero; undefined when the dense kernels are the faster ones. */
function compressSparseRows(matrix: FeatureMatrix): SparseMatrix | undefined {
  const { data, rows, cols } = matrix
  let nonZeroCount = 0
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) nonZeroCount++
  if (nonZeroCount >= compressBelowDensity * data.length) return undefined
  const indptr = new Int32Array(rows + 1)
  const indices = new Int32Array(nonZeroCount)
  const values = new Float32Array(nonZeroCount)
  let next = 0
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const value = data[row * cols + col]
      if (value === 0) continue
      indices[next] = col
      values[next++] = value
    }
    indptr[row + 1] = next
  }
  return { indptr, indices, values, rows, cols }
}

/**
 * Wraps a dense or sparse matrix for the training and prediction kernels. Mostly-zero dense input (image pixels are
 * mostly background) is compressed once; the sums run over the same non-zeros in the same order either way.
 */
export function createDesign(matrix: FeatureMatrix | SparseMatrix): Design {
  const trained = compactTrainingInput(matrix)
  return isSparseMatrix(trained) ? new SparseDesign(trained) : new DenseDesign(trained)
}

/**
 * The form the kernels train fastest on: mostly-zero dense input compressed to sparse rows, anything else as it
 * is. Training on either form gives the same model; callers that build several designs compact once.
 */
export function compactTrainingInput(matrix: FeatureMatrix | SparseMatrix): FeatureMatrix | SparseMatrix {
  if (isSparseMatrix(matrix)) return matrix
  return compressSparseRows(matrix) ?? matrix
}

/** Turns logits into probabilities in place, subtracting the maximum first so `exp` cannot overflow. */
export function softmaxInPlace(logits: Float64Array, classCount: number): void {
  let max = logits[0]
  for (let c = 1; c < classCount; c++) if (logits[c] > max) max = logits[c]
  let sum = 0
  for (let c = 0; c < classCount; c++) {
    const e = Math.exp(logits[c] - max)
    logits[c] = e
    sum += e
  }
  for (let c = 0; c < classCount; c++) logits[c] /= sum
}
