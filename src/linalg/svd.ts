import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import type { Rng } from '../util/rng.js'
import type { LinalgBackend } from './backend.js'
import { orthonormaliseColumns, symmetricEigen } from './decompositions.js'
import { multiplyDense, transpose } from './dense.js'
import { centeredOperator, denseOperator, type LinearOperator } from './operators.js'

export {
  centeredOperator,
  denseOperator,
  type LinearOperator,
  sparseOperator,
} from './operators.js'

/** Accuracy knobs and the seeded generator of the random test matrix. */
export interface SvdOptions {
  /** Extra random directions beyond `rank`; default 20. */
  oversample?: number
  /** Subspace iterations (each one product with A and one with Aᵀ); more sharpen slowly decaying spectra; default 4. */
  powerIterations?: number
  rng: Rng
  /** Runs the dense products of the final factors; plain TypeScript when absent. */
  backend?: LinalgBackend
}

/** Truncated SVD `A ≈ u · diag(singularValues) · vt`, singular values descending. */
export interface SvdResult {
  /** rows × rank, orthonormal columns. */
  readonly u: FeatureMatrix
  readonly singularValues: Float32Array
  /** rank × cols, orthonormal rows. */
  readonly vt: FeatureMatrix
}

function gaussianMatrix(rows: number, cols: number, rng: Rng): FeatureMatrix {
  const data = new Float32Array(rows * cols)
  for (let i = 0; i < data.length; i++) data[i] = rng.normal()
  return { data, rows, cols }
}

function checkArguments(op: LinearOperator, rank: number, options: SvdOptions): void {
  for (const [name, value] of [
    ['oversample', options.oversample],
    ['powerIterations', options.powerIterations],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new PoisonguardError(
        'INVALID_ARGUMENT',
        `SVD ${name} must be a non-negative integer, got ${value}`,
      )
    }
  }
  if (!Number.isInteger(rank) || rank < 1) {
    throw new PoisonguardError('INVALID_ARGUMENT', `SVD rank must be a positive integer, got ${rank}`)
  }
  if (rank > Math.min(op.rows, op.cols)) {
    throw new PoisonguardError(
      'NOT_ENOUGH_DATA',
      `a rank-${rank} SVD needs at least ${rank} rows and columns, got ${op.rows} × ${op.cols}`,
      { hint: `ask for at most ${Math.min(op.rows, op.cols)} components` },
    )
  }
}

/**
 * Rows summed into the Gram matrix at a time. Each block is copied column-major so every entry is a contiguous dot
 * product kept in a register; a block's copy (84 columns of the PCA: 86 KB) stays in the nearest caches, where a
 * copy of every row (6.7 MB on MNIST) did not. The function that adds a block runs once per block, so V8 optimises
 * it after the first few instead of replacing one long loop's code while it runs (it runs once per scan).
 */
const gramBlockRows = 128

/** `cᵀc` of a row-major rows × width matrix, accumulated in double precision row after row. */
function gramOfColumns(c: FeatureMatrix): Float64Array {
  const width = c.cols
  const gram = new Float64Array(width * width)
  const columns = new Float64Array(gramBlockRows * width)
  for (let start = 0; start < c.rows; start += gramBlockRows)
    addBlockGram(c, start, Math.min(start + gramBlockRows, c.rows), columns, gram)
  for (let i = 0; i < width; i++) {
    for (let j = i + 1; j < width; j++) gram[j * width + i] = gram[i * width + j]
  }
  return gram
}

/** Adds rows `start..end` of `c` to the upper triangle of `gram`, each sum carried on from the rows before. */
function addBlockGram(
  c: FeatureMatrix,
  start: number,
  end: number,
  columns: Float64Array,
  gram: Float64Array,
) {
  const { data, cols: width } = c
  const count = end - start
  for (let row = start; row < end; row++) {
    for (let col = 0; col < width; col++) columns[col * count + row - start] = data[row * width + col]
  }
  for (let i = 0; i < width; i++) {
    const first = i * count
    let j = i
    // Four columns against column i per sweep: one load of column i feeds four accumulators.
    for (; j + 4 <= width; j += 4) {
      const second = j * count
      const cell = i * width + j
      let dot0 = gram[cell]
      let dot1 = gram[cell + 1]
      let dot2 = gram[cell + 2]
      let dot3 = gram[cell + 3]
      for (let t = 0; t < count; t++) {
        const value = columns[first + t]
        dot0 += value * columns[second + t]
        dot1 += value * columns[second + count + t]
        dot2 += value * columns[second + 2 * count + t]
        dot3 += value * columns[second + 3 * count + t]
      }
      gram[cell] = dot0
      gram[cell + 1] = dot1
      gram[cell + 2] = dot2
      gram[cell + 3] = dot3
    }
    for (; j < width; j++) {
      let dot = gram[i * width + j]
      for (let t = 0; t < count; t++) dot += columns[first + t] * columns[j * count + t]
      gram[i * width + j] = dot
    }
  }
}

/** The first `rank` eigenvector columns, each optionally divided by its singular value (0 for null directions). */
function leadingVectors(
  vectors: Float64Array,
  width: number,
  rank: number,
  divisors?: Float32Array,
): FeatureMatrix {
  const data = new Float32Array(width * rank)
  for (let row = 0; row < width; row++) {
    for (let col = 0; col < rank; col++) {
      const divisor = divisors ? divisors[col] : 1
      data[row * rank + col] = divisor > 0 ? vectors[row * width + col] / divisor : 0
    }
  }
  return { data, rows: width, cols: rank }
}

/** Flips each singular pair so the largest-magnitude entry of its `u` column is positive, for reproducible signs. */
function fixSigns(u: FeatureMatrix, vt: FeatureMatrix): void {
  for (let col = 0; col < u.cols; col++) {
    let largest = 0
    for (let row = 0; row < u.rows; row++) {
      const value = u.data[row * u.cols + col]
      if (Math.abs(value) > Math.abs(largest)) largest = value
    }
    if (largest >= 0) continue
    for (let row = 0; row < u.rows; row++) u.data[row * u.cols + col] = -u.data[row * u.cols + col]
    for (let i = col * vt.cols; i < (col + 1) * vt.cols; i++) vt.data[i] = -vt.data[i]
  }
}

/**
 * Randomized truncated SVD (Halko, Martinsson & Tropp 2011, subspace iteration). The iteration runs on the smaller
 * side of A, so the only work on the larger side is products with A and one Gram matrix; the small SVD comes
 * from a Jacobi eigen-decomposition of that Gram matrix.
 * @see https://arxiv.org/abs/0909.4061
 */
export async function randomizedSvd(
  op: LinearOperator,
  rank: number,
  options: SvdOptions,
): Promise<SvdResult> {
  checkArguments(op, rank, options)
  const colsSmaller = op.cols <= op.rows
  const toLarge = (x: FeatureMatrix) => (colsSmaller ? op.multiply(x) : op.multiplyTransposed(x))
  const toSmall = (x: FeatureMatrix) => (colsSmaller ? op.multiplyTransposed(x) : op.multiply(x))
  const smallSide = Math.min(op.rows, op.cols)
  const width = Math.min(rank + (options.oversample ?? 20), smallSide)
  let basis = orthonormaliseColumns(gaussianMatrix(smallSide, width, options.rng))
  for (let i = 0; i < (options.powerIterations ?? 4); i++) {
    basis = orthonormaliseColumns(await toSmall(await toLarge(basis)))
  }
  // A ≈ (A·basis)·basisᵀ; the SVD of the thin factor A·basis follows from the eigenvectors of its Gram matrix.
  const large = await toLarge(basis)
  const { values, vectors } = symmetricEigen(gramOfColumns(large), width)
  const singularValues = new Float32Array(rank)
  const negligible = Math.sqrt(Math.max(values[0], 0)) * 1e-7
  for (let i = 0; i < rank; i++) {
    const value = Math.sqrt(Math.max(values[i], 0))
    singularValues[i] = value > negligible ? value : 0
  }
  const multiply = (a: FeatureMatrix, b: FeatureMatrix) =>
    options.backend ? options.backend.matmul(a, b) : multiplyDense(a, b)
  const largeFactor = await multiply(large, leadingVectors(vectors, width, rank, singularValues))
  const smallFactor = multiplyDense(basis, leadingVectors(vectors, width, rank))
  const u = colsSmaller ? largeFactor : smallFactor
  const vt = transpose(colsSmaller ? smallFactor : largeFactor)
  fixSigns(u, vt)
  return { u, singularValues, vt }
}

/** SVD options plus whether to centre the columns. */
export interface PcaOptions extends SvdOptions {
  /** Subtract column means first (ordinary PCA); default true. */
  center?: boolean
}

/** Principal components of the rows of a matrix, with each row's coordinates along them. */
export interface PcaResult {
  /** rows × components: coordinates of each (centred) row along the components. */
  readonly projected: FeatureMatrix
  /** components × cols, orthonormal rows, most variance first. */
  readonly components: FeatureMatrix
  /** Column means subtracted before projecting (zeros when not centring). */
  readonly mean: Float32Array
  /** Variance along each component (sample variance, divisor rows − 1). */
  readonly explainedVariance: Float32Array
  /** Share of the total variance along each component, in [0,1]. */
  readonly explainedVarianceRatio: Float32Array
}

function columnMeans(matrix: FeatureMatrix): Float32Array {
  const sums = new Float64Array(matrix.cols)
  for (let row = 0; row < matrix.rows; row++) {
    for (let col = 0; col < matrix.cols; col++) sums[col] += matrix.data[row * matrix.cols + col]
  }
  return Float32Array.from(sums, (sum) => sum / Math.max(matrix.rows, 1))
}

function totalSquaredDeviation(matrix: FeatureMatrix, mean: Float32Array): number {
  let total = 0
  for (let row = 0; row < matrix.rows; row++) {
    for (let col = 0; col < matrix.cols; col++)
      total += (matrix.data[row * matrix.cols + col] - mean[col]) ** 2
  }
  return total
}

/** PCA by randomized SVD of the (implicitly) centred matrix; all-zero or constant columns are harmless. */
export async function pca(
  matrix: FeatureMatrix,
  components: number,
  options: PcaOptions,
): Promise<PcaResult> {
  const mean = options.center === false ? new Float32Array(matrix.cols) : columnMeans(matrix)
  const dense = denseOperator(matrix, options.backend)
  const op = options.center === false ? dense : centeredOperator(dense, mean)
  const { u, singularValues, vt } = await randomizedSvd(op, components, options)
  const projected = new Float32Array(u.data)
  for (let row = 0; row < u.rows; row++) {
    for (let col = 0; col < components; col++) projected[row * components + col] *= singularValues[col]
  }
  const degreesOfFreedom = Math.max(matrix.rows - 1, 1)
  const explainedVariance = singularValues.map((value) => (value * value) / degreesOfFreedom)
  const total = totalSquaredDeviation(matrix, mean)
  const explainedVarianceRatio = singularValues.map((value) => (total > 0 ? (value * value) / total : 0))
  return {
    projected: { data: projected, rows: matrix.rows, cols: components },
    components: vt,
    mean,
    explainedVariance,
    explainedVarianceRatio,
  }
}
