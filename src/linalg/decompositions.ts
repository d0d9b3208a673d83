import type { FeatureMatrix } from '../data/matrix.js'

// A column whose residual after projection falls below this fraction of the largest input column is numerically
// dependent on the earlier ones (float32 inputs carry about 1e-7 relative noise).
const DEPENDENT_COLUMN_TOLERANCE = 1e-6
const MAX_JACOBI_SWEEPS = 64

function columnNorm(columns: Float64Array, rows: number, column: number): number {
  let sum = 0
  for (let row = column * rows; row < (column + 1) * rows; row++) sum += columns[row] * columns[row]
  return Math.sqrt(sum)
}

/**
 * Subtracts from column `column` its projection on each earlier column in turn (modified Gram–Schmidt). The pass
 * that subtracts one projection also takes the dot product the next one needs, from the values just written: the
 * same sums as a pass for each, with the column read once per earlier column instead of twice.
 */
function projectOut(columns: Float64Array, rows: number, column: number): number {
  const target = column * rows
  let dot = column > 0 ? dotWith(columns, rows, 0, target) : 0
  for (let previous = 0; previous < column; previous++) {
    const source = previous * rows
    const next = previous + 1 < column ? (previous + 1) * rows : -1
    if (dot === 0) {
      dot = next < 0 ? 0 : dotWith(columns, rows, next, target)
      continue
    }
    if (next < 0) {
      for (let row = 0; row < rows; row++) columns[target + row] -= dot * columns[source + row]
      break
    }
    let nextDot = 0
    for (let row = 0; row < rows; row++) {
      const value = columns[target + row] - dot * columns[source + row]
      columns[target + row] = value
      nextDot += columns[next + row] * value
    }
    dot = nextDot
  }
  return columnNorm(columns, rows, column)
}

/** The dot product of the columns starting at `source` and `target`. */
function dotWith(columns: Float64Array, rows: number, source: number, target: number): number {
  let dot = 0
  for (let row = 0; row < rows; row++) dot += columns[source + row] * columns[target + row]
  return dot
}

/**
 * Orthonormal basis of the column space of `matrix` (rows × width) by modified Gram–Schmidt with one
 * re-orthogonalisation when a column loses most of its norm ("twice is enough"). Numerically dependent columns come
 * back as zero columns rather than amplified noise, so rank-deficient inputs never produce NaN.
 */
export function orthonormaliseColumns(matrix: FeatureMatrix): FeatureMatrix {
  const { rows, cols: width, data } = matrix
  // Column-major in double precision so each column is contiguous.
  const columns = new Float64Array(rows * width)
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < width; col++) columns[col * rows + row] = data[row * width + col]
  }
  let largestNorm = 0
  for (let col = 0; col < width; col++) largestNorm = Math.max(largestNorm, columnNorm(columns, rows, col))
  for (let col = 0; col < width; col++) {
    const before = columnNorm(columns, rows, col)
    let norm = projectOut(columns, rows, col)
    if (norm < 0.5 * before) norm = projectOut(columns, rows, col)
    const scale = norm > DEPENDENT_COLUMN_TOLERANCE * largestNorm ? 1 / norm : 0
    for (let row = col * rows; row < (col + 1) * rows; row++) columns[row] *= scale
  }
  const out = new Float32Array(rows * width)
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < width; col++) out[row * width + col] = columns[col * rows + row]
  }
  return { data: out, rows, cols: width }
}

/** Eigenvalues (descending) and eigenvectors (column `j` of the row-major `vectors` pairs with `values[j]`). */
export interface SymmetricEigen {
  readonly values: Float64Array
  readonly vectors: Float64Array
}

function rotate(a: Float64Array, v: Float64Array, size: number, p: number, q: number): void {
  const apq = a[p * size + q]
  const theta = (a[q * size + q] - a[p * size + p]) / (2 * apq)
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
  const c = 1 / Math.sqrt(t * t + 1)
  const s = t * c
  for (let r = 0; r < size; r++) {
    const arp = a[r * size + p]
    const arq = a[r * size + q]
    a[r * size + p] = c * arp - s * arq
    a[r * size + q] = s * arp + c * arq
  }
  for (let r = 0; r < size; r++) {
    const apr = a[p * size + r]
    const aqr = a[q * size + r]
    a[p * size + r] = c * apr - s * aqr
    a[q * size + r] = s * apr + c * aqr
  }
  a[p * size + q] = 0
  a[q * size + p] = 0
  for (let r = 0; r < size; r++) {
    const vrp = v[r * size + p]
    const vrq = v[r * size + q]
    v[r * size + p] = c * vrp - s * vrq
    v[r * size + q] = s * vrp + c * vrq
  }
}

function offDiagonalSquares(a: Float64Array, size: number): { off: number; total: number } {
  let off = 0
  let total = 0
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const square = a[i * size + j] ** 2
      total += square
      if (i !== j) off += square
    }
  }
  return { off, total }
}

/** Cyclic Jacobi eigen-decomposition of a small symmetric matrix (row-major, size × size), in double precision. */
export function symmetricEigen(matrix: Float64Array, size: number): SymmetricEigen {
  const a = new Float64Array(matrix)
  const v = new Float64Array(size * size)
  for (let i = 0; i < size; i++) v[i * size + i] = 1
  for (let sweep = 0; sweep < MAX_JACOBI_SWEEPS; sweep++) {
    const { off, total } = offDiagonalSquares(a, size)
    if (off <= 1e-30 * total || off === 0) break
    for (let p = 0; p < size - 1; p++) {
      for (let q = p + 1; q < size; q++) {
        if (a[p * size + q] !== 0) rotate(a, v, size, p, q)
      }
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((x, y) => a[y * size + y] - a[x * size + x])
  const values = new Float64Array(size)
  const vectors = new Float64Array(size * size)
  order.forEach((source, target) => {
    values[target] = a[source * size + source]
    for (let r = 0; r < size; r++) vectors[r * size + target] = v[r * size + source]
  })
  return { values, vectors }
}

/**
 * Lower Cholesky factor of `matrix + ridge · I` (row-major, side `width`), the ridge `ridgeShare` of the mean
 * diagonal, so a nearly singular matrix (a covariance of dependent columns, a kernel of near-copies) still factors.
 */
export function choleskyWithRidge(matrix: Float64Array, width: number, ridgeShare: number): Float64Array {
  let trace = 0
  for (let i = 0; i < width; i++) trace += matrix[i * width + i]
  const ridge = (ridgeShare * trace) / width + 1e-12
  const lower = new Float64Array(width * width)
  for (let i = 0; i < width; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * width + j] + (i === j ? ridge : 0)
      for (let k = 0; k < j; k++) sum -= lower[i * width + k] * lower[j * width + k]
      lower[i * width + j] = i === j ? Math.sqrt(Math.max(sum, ridge)) : sum / lower[j * width + j]
    }
  }
  return lower
}

/** `b[target row] −= factor · b[source row]` over `columns` entries. */
function subtractRow(b: Float64Array, target: number, source: number, factor: number, columns: number): void {
  for (let c = 0; c < columns; c++) b[target + c] -= factor * b[source + c]
}

/**
 * Solves `lower · x = b` in place for every column of the row-major `width × columns` matrix `b`. Four earlier rows
 * are subtracted in one pass over a row, each entry held in a register between them: the same subtractions in the
 * same order as one row at a time, so the same bits, for a quarter of the loads and stores of the row solved.
 */
export function solveLower(lower: Float64Array, b: Float64Array, width: number, columns: number): void {
  for (let i = 0; i < width; i++) {
    const target = i * columns
    let k = 0
    for (; k + 3 < i; k += 4) {
      const f0 = lower[i * width + k]
      const f1 = lower[i * width + k + 1]
      const f2 = lower[i * width + k + 2]
      const f3 = lower[i * width + k + 3]
      const s0 = k * columns
      if (f0 === 0 || f1 === 0 || f2 === 0 || f3 === 0) {
        // A zero factor is skipped, as `0 · ∞` would otherwise turn an entry into NaN.
        for (const [offset, factor] of [f0, f1, f2, f3].entries())
          if (factor !== 0) subtractRow(b, target, s0 + offset * columns, factor, columns)
        continue
      }
      const s1 = s0 + columns
      const s2 = s1 + columns
      const s3 = s2 + columns
      for (let c = 0; c < columns; c++)
        b[target + c] = b[target + c] - f0 * b[s0 + c] - f1 * b[s1 + c] - f2 * b[s2 + c] - f3 * b[s3 + c]
    }
    for (; k < i; k++) {
      const factor = lower[i * width + k]
      if (factor !== 0) subtractRow(b, target, k * columns, factor, columns)
    }
    const pivot = lower[i * width + i]
    for (let c = 0; c < columns; c++) b[target + c] /= pivot
  }
}

/** Solves `lowerᵀ · x = b` in place for every column of `b` (`width × columns`). */
export function solveUpper(lower: Float64Array, b: Float64Array, width: number, columns: number): void {
  for (let i = width - 1; i >= 0; i--) {
    for (let k = i + 1; k < width; k++) {
      const factor = lower[k * width + i]
      if (factor === 0) continue
      for (let c = 0; c < columns; c++) b[i * columns + c] -= factor * b[k * columns + c]
    }
    const pivot = lower[i * width + i]
    for (let c = 0; c < columns; c++) b[i * columns + c] /= pivot
  }
}
