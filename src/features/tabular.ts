import type { FeatureMatrix } from '../data/matrix.js'
import { median } from '../stats/quantiles.js'

/** How a table's columns were reshaped, for the report's description of the representation. */
export interface ReshapedTable {
  /** Every column centred, on comparable scales: tails compressed, one-hot groups as one variable. */
  readonly matrix: FeatureMatrix
  /** Columns of counts or sizes (none negative, not 0/1) put on a log scale. */
  readonly compressedColumns: number
  /** Groups of two or more mutually exclusive 0/1 columns (one-hot codes), each scaled as one variable. */
  readonly oneHotGroups: number
}

/** Column values in float64, the two-value test and the moments the reshaping needs. */
function readColumn(matrix: FeatureMatrix, col: number): Float64Array {
  const values = new Float64Array(matrix.rows)
  for (let row = 0; row < matrix.rows; row++) values[row] = matrix.data[row * matrix.cols + col]
  return values
}

function isZeroOne(values: Float64Array): boolean {
  for (const value of values) if (value !== 0 && value !== 1) return false
  return true
}

/**
 * A column of counts or sizes (never negative) on a log scale, `log(1 + x / unit)` with the median of its positive
 * values as the unit: such columns are compared by ratio, not by difference, so sizes that span 0 to 10⁵
 * characters weigh in distances and a linear model about as much as shares in [0,1], and a heavy tail cannot
 * outvote every other column. A column that takes negative values is left linear: there a value far outside the
 * range (a planted trigger) must stay far out.
 */
function compressTails(values: Float64Array): Float64Array {
  const positive: number[] = []
  for (const value of values) {
    if (value < 0) return values
    if (value > 0) positive.push(value)
  }
  if (positive.length === 0) return values
  const unit = median(positive)
  return values.map((value) => Math.log1p(value / unit))
}

function centre(values: Float64Array): number {
  let sum = 0
  for (const value of values) sum += value
  const mean = sum / Math.max(values.length, 1)
  let squares = 0
  for (let index = 0; index < values.length; index++) {
    values[index] -= mean
    squares += values[index] ** 2
  }
  return squares / Math.max(values.length, 1)
}

/**
 * Consecutive 0/1 columns (`zeroOne`) that are never 1 together in a row, read as the codes of one categorical
 * column; a lone 0/1 column is a group of one.
 */
export function oneHotGroupsOf(matrix: FeatureMatrix, zeroOne: Uint8Array): number[][] {
  const groups: number[][] = []
  const rowSums = new Uint8Array(matrix.rows)
  let group: number[] = []
  const close = () => {
    if (group.length > 0) groups.push(group)
    group = []
    rowSums.fill(0)
  }
  for (let col = 0; col < matrix.cols; col++) {
    if (!zeroOne[col]) {
      close()
      continue
    }
    let exclusive = true
    for (let row = 0; row < matrix.rows && exclusive; row++)
      if (rowSums[row] + matrix.data[row * matrix.cols + col] > 1) exclusive = false
    if (!exclusive) close()
    for (let row = 0; row < matrix.rows; row++) rowSums[row] += matrix.data[row * matrix.cols + col]
    group.push(col)
  }
  close()
  return groups
}

/**
 * Reshapes a table of columns of different kinds and scales so that each column weighs alike: a measured column
 * (more than two values) with its tails compressed, standardised; a group of one-hot columns scaled so that the group
 * together has unit variance, as one standardised categorical column would, instead of letting a rare category's
 * z-score of ten swamp every distance.
 */
export function reshapeTable(matrix: FeatureMatrix): ReshapedTable {
  const { rows, cols } = matrix
  const columns = Array.from({ length: cols }, (_, col) => readColumn(matrix, col))
  const zeroOne = Uint8Array.from(columns, (values) => (isZeroOne(values) ? 1 : 0))
  const scales = new Float64Array(cols)
  let compressedColumns = 0
  for (let col = 0; col < cols; col++) {
    if (zeroOne[col]) continue
    const reshaped = compressTails(columns[col])
    if (reshaped !== columns[col]) {
      columns[col] = reshaped
      compressedColumns++
    }
    const variance = centre(columns[col])
    scales[col] = variance > 1e-12 ? 1 / Math.sqrt(variance) : 0
  }
  const groups = oneHotGroupsOf(matrix, zeroOne)
  for (const group of groups) {
    let variance = 0
    for (const col of group) variance += centre(columns[col])
    for (const col of group) scales[col] = variance > 1e-12 ? 1 / Math.sqrt(variance) : 0
  }
  const data = new Float32Array(rows * cols)
  for (let col = 0; col < cols; col++) {
    const values = columns[col]
    for (let row = 0; row < rows; row++) data[row * cols + col] = values[row] * scales[col]
  }
  return {
    matrix: { data, rows, cols },
    compressedColumns,
    oneHotGroups: groups.filter((group) => group.length > 1).length,
  }
}
