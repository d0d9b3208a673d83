import { categoryGroups } from '../data/categorical.js'
import type { Dataset } from '../data/dataset.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { oneHotGroupsOf } from '../features/tabular.js'
import type { Rng } from '../util/rng.js'

/**
 * Observed range, natural unit and kind of value of every feature column; perturbations are measured in these
 * units, and a poisoned record is put back among the values the columns hold (`conformRecord`).
 */
export interface FeatureScale {
  readonly min: Float32Array
  readonly max: Float32Array
  /**
   * One unit of change per column: for images the global pixel range (pixels share one scale), otherwise the
   * column's standard deviation (1 for constant columns, which the observed range then keeps fixed).
   */
  readonly unit: Float32Array
  /** Whether `unit` is the pixel range (images) or per-column standard deviations. */
  readonly kind: 'pixel-range' | 'standard-deviation'
  /** Per column of a table: 1 when every observed value is a whole number (counts, ages, years); 0 for images. */
  readonly integer: Uint8Array
  /**
   * The feature columns of each of the table's categorical columns, a record holding at most one of them: those the
   * loader one-hot encoded, and runs of 0/1 columns no record sets two of, which the scan reads as one categorical
   * column too (`reshapeTable`): a digit's quadrant of most ink, a sender's domain.
   */
  readonly groups: readonly { readonly cols: readonly number[] }[]
}

/** Column minimum, maximum and unit of a dataset's features, in one pass over the rows. */
export function measureFeatures(dataset: Dataset): FeatureScale {
  const { data, rows, cols } = dataset.features!
  const min = new Float32Array(cols).fill(Number.POSITIVE_INFINITY)
  const max = new Float32Array(cols).fill(Number.NEGATIVE_INFINITY)
  const sum = new Float64Array(cols)
  const sumSquares = new Float64Array(cols)
  const integer = new Uint8Array(cols).fill(dataset.imageShape ? 0 : 1)
  for (let row = 0; row < rows; row++) {
    const offset = row * cols
    for (let col = 0; col < cols; col++) {
      const value = data[offset + col]
      if (value < min[col]) min[col] = value
      if (value > max[col]) max[col] = value
      sum[col] += value
      sumSquares[col] += value * value
      if (!Number.isInteger(value)) integer[col] = 0
    }
  }
  if (dataset.imageShape) {
    let low = Number.POSITIVE_INFINITY
    let high = Number.NEGATIVE_INFINITY
    for (let col = 0; col < cols; col++) {
      low = Math.min(low, min[col])
      high = Math.max(high, max[col])
    }
    const range = high > low ? high - low : 1
    return { min, max, unit: new Float32Array(cols).fill(range), kind: 'pixel-range', integer, groups: [] }
  }
  const unit = new Float32Array(cols)
  for (let col = 0; col < cols; col++) {
    const mean = sum[col] / rows
    const variance = Math.max(0, sumSquares[col] / rows - mean * mean)
    unit[col] = variance > 1e-12 * Math.max(1, mean * mean) ? Math.sqrt(variance) : 1
  }
  return {
    min,
    max,
    unit,
    kind: 'standard-deviation',
    integer,
    groups: categoricalColumns(dataset, min, max, integer),
  }
}

/**
 * The loader's categorical columns and the runs of two or more other 0/1 columns that no record sets two of. A
 * record with two quadrants of most ink is no more possible than one with two products.
 */
function categoricalColumns(dataset: Dataset, min: Float32Array, max: Float32Array, integer: Uint8Array) {
  const encoded = categoryGroups(dataset)
  const coded = new Set(encoded.flatMap(({ cols }) => cols))
  const zeroOne = Uint8Array.from(min, (low, col) =>
    !coded.has(col) && low === 0 && max[col] === 1 && integer[col] ? 1 : 0,
  )
  const found = oneHotGroupsOf(dataset.features!, zeroOne).filter((cols) => cols.length > 1)
  return [...encoded, ...found.map((cols) => ({ cols }))]
}

/** Smallest and largest feature value over all columns. */
export function featureBounds(scale: FeatureScale): { low: number; high: number } {
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  for (let col = 0; col < scale.min.length; col++) {
    low = Math.min(low, scale.min[col])
    high = Math.max(high, scale.max[col])
  }
  return { low, high }
}

/**
 * Writes `row + N(0, (sigma × unit)²)` per column into `out`, kept to values the columns hold (`conformRecord`)
 * so a perturbed record stays plausible (pixels stay in [0,1], counts stay whole and non-negative, a product stays
 * one product).
 */
export function jitterRow(
  features: FeatureMatrix,
  row: number,
  sigma: number,
  scale: FeatureScale,
  rng: Rng,
  out: Float32Array,
  conform: ConformOptions = {},
): void {
  const { data, cols } = features
  const offset = row * cols
  for (let col = 0; col < cols; col++) out[col] = data[offset + col] + sigma * scale.unit[col] * rng.normal()
  conformRecord(out, data.subarray(offset, offset + cols), scale, conform)
}

/** How `conformRecord` treats a changed record. */
export interface ConformOptions {
  /**
   * A change held to a budget: a whole number is rounded toward the original value and every category stays the
   * original's, so no column moves farther than the change did.
   */
  readonly towardOriginal?: boolean
}

/**
 * Puts a changed record back among the values its columns hold, in place: every column within its observed range,
 * whole-number columns on whole numbers, each categorical column on one category (the one whose code is largest,
 * when above one half; else the original record's).
 */
export function conformRecord(
  record: Float32Array,
  original: ArrayLike<number>,
  scale: FeatureScale,
  { towardOriginal = false }: ConformOptions = {},
): void {
  for (const { cols } of scale.groups) {
    let chosen = -1
    if (!towardOriginal)
      for (const col of cols)
        if (record[col] > 0.5 && (chosen < 0 || record[col] > record[chosen])) chosen = col
    for (const col of cols) record[col] = chosen < 0 ? original[col] : col === chosen ? 1 : 0
  }
  for (let col = 0; col < record.length; col++) {
    let value = Math.min(scale.max[col], Math.max(scale.min[col], record[col]))
    if (scale.integer[col]) {
      const rounded = Math.round(value)
      const overshoots = Math.abs(rounded - original[col]) > Math.abs(value - original[col])
      value = towardOriginal && overshoots ? original[col] + Math.trunc(value - original[col]) : rounded
    }
    record[col] = value
  }
}

/** The row nearest to `target` (squared Euclidean in units of `scale`) among rows passing `keep`, or -1. */
export function nearestRow(
  features: FeatureMatrix,
  target: number,
  scale: FeatureScale,
  keep: (row: number) => boolean,
): number {
  const { data, rows, cols } = features
  const targetOffset = target * cols
  const inverse = Float64Array.from(scale.unit, (unit) => 1 / unit)
  let best = -1
  let bestDistance = Number.POSITIVE_INFINITY
  for (let row = 0; row < rows; row++) {
    if (row === target || !keep(row)) continue
    const offset = row * cols
    let distance = 0
    for (let col = 0; col < cols && distance < bestDistance; col++) {
      const delta = (data[offset + col] - data[targetOffset + col]) * inverse[col]
      distance += delta * delta
    }
    if (distance < bestDistance) {
      bestDistance = distance
      best = row
    }
  }
  return best
}
