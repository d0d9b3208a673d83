import type { FeatureMatrix } from '../data/matrix.js'
import { median } from '../stats/quantiles.js'
import type { Rng } from '../util/rng.js'

export interface FourierOptions {
  /** Random features drawn; more approximate the kernel more closely. */
  readonly featureCount: number
  /** The kernel's width as a share of the median distance between records; default 0.5. */
  readonly bandwidthShare?: number
  readonly rng: Rng
}

/** Random pairs of records whose median distance sets the kernel's width. */
const bandwidthPairs = 2000

/** Median distance between `bandwidthPairs` random pairs of rows: the scale a Gaussian kernel's width is set on. */
export function medianPairDistance(matrix: FeatureMatrix, rng: Rng): number {
  const { data, rows, cols } = matrix
  const distances: number[] = []
  for (let pair = 0; pair < bandwidthPairs; pair++) {
    const first = rng.int(rows) * cols
    const second = rng.int(rows) * cols
    let squared = 0
    for (let col = 0; col < cols; col++) squared += (data[first + col] - data[second + col]) ** 2
    distances.push(Math.sqrt(squared))
  }
  return median(distances) || 1
}

/**
 * Random Fourier features of a Gaussian kernel whose width is a share of the median distance between records:
 * a linear model on them draws the smooth, curved class boundaries of a kernel machine. The block is scaled so
 * that its squared norm is about `cols`, so it weighs in the model's penalty as much as the standardised columns.
 * @see Rahimi, Recht. Random Features for Large-Scale Kernel Machines. NeurIPS 2007.
 */
export function randomFourierFeatures(matrix: FeatureMatrix, options: FourierOptions): FeatureMatrix {
  const { rows, cols } = matrix
  const { featureCount, rng } = options
  const width = medianPairDistance(matrix, rng) * (options.bandwidthShare ?? 0.5)
  const frequencies = Float64Array.from({ length: featureCount * cols }, () => rng.normal() / width)
  const phases = Float64Array.from({ length: featureCount }, () => rng.next() * 2 * Math.PI)
  const amplitude = Math.sqrt((2 * cols) / featureCount)
  const data = new Float32Array(rows * featureCount)
  for (let row = 0; row < rows; row++) {
    const record = matrix.data.subarray(row * cols, (row + 1) * cols)
    const out = data.subarray(row * featureCount, (row + 1) * featureCount)
    let feature = 0
    for (; feature + 3 < featureCount; feature += 4)
      projectOnFour(record, frequencies, phases, feature, amplitude, out)
    for (; feature < featureCount; feature++) {
      let angle = phases[feature]
      for (let col = 0; col < cols; col++) angle += frequencies[feature * cols + col] * record[col]
      out[feature] = amplitude * Math.cos(angle)
    }
  }
  return { data, rows, cols: featureCount }
}

/**
 * Features `feature..feature+3` of one record: its values are read once for the four angles, each summed in the
 * same order as one at a time, so the same bits for about half the loads.
 */
function projectOnFour(
  record: Float32Array,
  frequencies: Float64Array,
  phases: Float64Array,
  feature: number,
  amplitude: number,
  out: Float32Array,
): void {
  const cols = record.length
  const f0 = feature * cols
  const f1 = f0 + cols
  const f2 = f1 + cols
  const f3 = f2 + cols
  let angle0 = phases[feature]
  let angle1 = phases[feature + 1]
  let angle2 = phases[feature + 2]
  let angle3 = phases[feature + 3]
  for (let col = 0; col < cols; col++) {
    const value = record[col]
    angle0 += frequencies[f0 + col] * value
    angle1 += frequencies[f1 + col] * value
    angle2 += frequencies[f2 + col] * value
    angle3 += frequencies[f3 + col] * value
  }
  out[feature] = amplitude * Math.cos(angle0)
  out[feature + 1] = amplitude * Math.cos(angle1)
  out[feature + 2] = amplitude * Math.cos(angle2)
  out[feature + 3] = amplitude * Math.cos(angle3)
}
