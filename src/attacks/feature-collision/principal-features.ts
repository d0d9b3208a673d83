import type { FeatureMatrix } from '../../data/matrix.js'
import { orthonormaliseColumns } from '../../linalg/decompositions.js'
import { multiplyDense, transpose } from '../../linalg/dense.js'
import type { Rng } from '../../util/rng.js'
import type { CollisionGradient } from '../clean-label/collide.js'

/**
 * A learned linear feature space: f(x) = Pᵀ((x − mean) / unit), with P's columns the leading principal directions
 * of the data measured in units. It stands in for a network's feature layer: it keeps a record's coarse shape and
 * drops fine detail, so two inputs can collide in it while still looking different.
 */
export interface PrincipalFeatures {
  /** Column means, in input units. */
  readonly mean: Float64Array
  readonly unit: Float32Array
  /** `cols × components`, orthonormal columns. */
  readonly directions: FeatureMatrix
}

/** Rows the directions are fitted on at most: an evenly spaced sample finds the leading ones as well as all rows. */
const fitRows = 2000

/** Subspace iterations; the leading directions of image and table data separate quickly. */
const iterations = 8

/** The `components` leading principal directions of `features` in units, by subspace iteration on a sample. */
export function fitPrincipalFeatures(
  features: FeatureMatrix,
  unit: Float32Array,
  components: number,
  rng: Rng,
): PrincipalFeatures {
  const { data, rows, cols } = features
  const mean = new Float64Array(cols)
  for (let row = 0; row < rows; row++)
    for (let col = 0; col < cols; col++) mean[col] += data[row * cols + col]
  for (let col = 0; col < cols; col++) mean[col] /= Math.max(1, rows)
  const sample = Math.min(rows, fitRows)
  const centred = new Float32Array(sample * cols)
  for (let index = 0; index < sample; index++) {
    const row = Math.floor((index * rows) / sample)
    for (let col = 0; col < cols; col++)
      centred[index * cols + col] = (data[row * cols + col] - mean[col]) / unit[col]
  }
  const matrix = { data: centred, rows: sample, cols }
  const matrixT = transpose(matrix)
  const width = Math.min(components, cols, sample)
  let basis = orthonormaliseColumns({
    data: Float32Array.from({ length: cols * width }, () => rng.normal()),
    rows: cols,
    cols: width,
  })
  for (let iteration = 0; iteration < iterations; iteration++)
    basis = orthonormaliseColumns(multiplyDense(matrixT, multiplyDense(matrix, basis)))
  return { mean, unit, directions: basis }
}

/** A record's coordinates in the feature space. */
export function featuresOf(space: PrincipalFeatures, row: ArrayLike<number>): Float64Array {
  const { data, rows: cols, cols: width } = space.directions
  const out = new Float64Array(width)
  for (let col = 0; col < cols; col++) {
    const value = (row[col] - space.mean[col]) / space.unit[col]
    if (value === 0) continue
    for (let component = 0; component < width; component++)
      out[component] += value * data[col * width + component]
  }
  return out
}

/** Euclidean distance between two records' feature coordinates. */
export function featureDistance(a: Float64Array, b: Float64Array): number {
  let sum = 0
  for (let index = 0; index < a.length; index++) sum += (a[index] - b[index]) ** 2
  return Math.sqrt(sum)
}

/**
 * The gradient of ½‖f(x) − f(t)‖² for the collision kernel: unit ⊙ P Pᵀ((x − t) / unit), the step measured in
 * units like the kernel's proximal step and budget.
 */
export function principalGradient(space: PrincipalFeatures): CollisionGradient {
  const { data, rows: cols, cols: width } = space.directions
  const coordinates = new Float64Array(width)
  return (point, target, out) => {
    coordinates.fill(0)
    for (let col = 0; col < cols; col++) {
      const value = (point[col] - target[col]) / space.unit[col]
      if (value === 0) continue
      for (let component = 0; component < width; component++)
        coordinates[component] += value * data[col * width + component]
    }
    for (let col = 0; col < cols; col++) {
      let sum = 0
      for (let component = 0; component < width; component++)
        sum += data[col * width + component] * coordinates[component]
      out[col] = sum * space.unit[col]
    }
  }
}
