import type { FeatureMatrix } from '../data/matrix.js'

export interface Standardized {
  /** Column z-scores, float32; constant columns become 0. */
  readonly matrix: FeatureMatrix
  /** Mean of each input column. */
  readonly mean: Float32Array
  /** Standard deviation (population) of each input column, 1 for constant columns. */
  readonly scale: Float32Array
}

/** Column means and population standard deviations, accumulated in float64 with Welford's update. */
export function columnMoments(matrix: FeatureMatrix): { mean: Float64Array; deviation: Float64Array } {
  const { data, rows, cols } = matrix
  const mean = new Float64Array(cols)
  const squaredDeviations = new Float64Array(cols)
  for (let row = 0; row < rows; row++) {
    const offset = row * cols
    const weight = 1 / (row + 1)
    for (let col = 0; col < cols; col++) {
      const delta = data[offset + col] - mean[col]
      mean[col] += delta * weight
      squaredDeviations[col] += delta * (data[offset + col] - mean[col])
    }
  }
  const deviation = new Float64Array(cols)
  for (let col = 0; col < cols; col++) deviation[col] = Math.sqrt(squaredDeviations[col] / Math.max(rows, 1))
  return { mean, deviation }
}

/** Applies `(x - mean) / scale` column by column, e.g. a reference dataset's standardisation to new rows. */
export function applyStandardization(
  matrix: FeatureMatrix,
  mean: Float32Array,
  scale: Float32Array,
): FeatureMatrix {
  const { data, rows, cols } = matrix
  const out = new Float32Array(rows * cols)
  const inverse = Float64Array.from(scale, (value) => 1 / value)
  for (let row = 0; row < rows; row++) {
    const offset = row * cols
    for (let col = 0; col < cols; col++) out[offset + col] = (data[offset + col] - mean[col]) * inverse[col]
  }
  return { data: out, rows, cols }
}

/**
 * Column z-scores `(x - mean) / sd` as float32. Columns whose spread is negligible next to their magnitude count
 * as constant: scale 1 and all values 0, rather than amplified rounding noise.
 */
export function standardize(matrix: FeatureMatrix): Standardized {
  const { mean, deviation } = columnMoments(matrix)
  const { rows, cols } = matrix
  const constant = Uint8Array.from(deviation, (sd, col) =>
    sd <= 1e-7 * Math.max(1, Math.abs(mean[col])) ? 1 : 0,
  )
  const scale = Float32Array.from(deviation, (sd, col) => (constant[col] ? 1 : sd))
  const meanOut = Float32Array.from(mean)
  const standardized = applyStandardization(matrix, meanOut, scale)
  for (let col = 0; col < cols; col++) {
    if (constant[col]) for (let row = 0; row < rows; row++) standardized.data[row * cols + col] = 0
  }
  return { matrix: standardized, mean: meanOut, scale }
}
