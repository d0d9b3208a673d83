import type { FeatureMatrix } from '../../data/matrix.js'
import { choleskyWithRidge } from '../../linalg/decompositions.js'
import { quantileSorted, selectInPlace } from '../../stats/quantiles.js'
import { meanAndScatter } from '../class-spectra.js'

/**
 * Share of a group its trimmed fit is drawn from: up to a quarter of the group may be anomalous without moving the
 * fit, so a tenth of the data made of noise records cannot widen its own yardstick.
 */
export const coreShare = 0.75

/** Records a core is fitted on at most: a core of 384 for a covariance of up to 64 features, and each step costs little. */
const maxFitRows = 512

/** C-steps at most: each can only lower the core's covariance determinant, and the first few do nearly all of it. */
const maxSteps = 4

/**
 * Ridge on the core's covariance, relative to its mean variance. Kept small on purpose: noise added to every
 * column shows most in the directions the data barely varies in (collinear measurements of one size), which a
 * larger ridge would blur away.
 */
const ridgeShare = 1e-3

/** Rows solved side by side: each entry of the factor is read once for all of them, and their sums run in parallel. */
const blockRows = 4

/**
 * Squared distance of each of `rows` to `mean` in the metric whose Cholesky factor is `lower`, into `out`: forward
 * substitution for L·w = x − mean, |w|² the distance, `blockRows` rows at a time.
 */
function squaredDistances(
  space: FeatureMatrix,
  rows: Int32Array,
  mean: Float64Array,
  lower: Float64Array,
  out: Float64Array,
): void {
  const { data, cols: width } = space
  // Row r of the block keeps its solution at solved[r * width …].
  const solved = new Float64Array(blockRows * width)
  for (let first = 0; first < rows.length; first += blockRows) {
    const count = Math.min(blockRows, rows.length - first)
    // A short last block repeats its last row, so the loop below needs no branch; only `count` are written.
    const s0 = rows[first] * width
    const s1 = rows[first + Math.min(1, count - 1)] * width
    const s2 = rows[first + Math.min(2, count - 1)] * width
    const s3 = rows[first + Math.min(3, count - 1)] * width
    let sum0 = 0
    let sum1 = 0
    let sum2 = 0
    let sum3 = 0
    for (let i = 0; i < width; i++) {
      const offset = i * width
      let v0 = data[s0 + i] - mean[i]
      let v1 = data[s1 + i] - mean[i]
      let v2 = data[s2 + i] - mean[i]
      let v3 = data[s3 + i] - mean[i]
      for (let k = 0; k < i; k++) {
        const factor = lower[offset + k]
        v0 -= factor * solved[k]
        v1 -= factor * solved[width + k]
        v2 -= factor * solved[2 * width + k]
        v3 -= factor * solved[3 * width + k]
      }
      const diagonal = lower[offset + i]
      v0 /= diagonal
      v1 /= diagonal
      v2 /= diagonal
      v3 /= diagonal
      solved[i] = v0
      solved[width + i] = v1
      solved[2 * width + i] = v2
      solved[3 * width + i] = v3
      sum0 += v0 * v0
      sum1 += v1 * v1
      sum2 += v2 * v2
      sum3 += v3 * v3
    }
    out[first] = sum0
    if (count > 1) out[first + 1] = sum1
    if (count > 2) out[first + 2] = sum2
    if (count > 3) out[first + 3] = sum3
  }
}

/**
 * Squared distance of one row to a core, as `squaredDistances` computes it, or +Infinity once its partial sum
 * passes `limit`: the sum only grows, and a record is far from most other classes' cores within a few features.
 */
function boundedSquaredDistance(
  space: FeatureMatrix,
  row: number,
  { mean, lower }: CoreFit,
  limit: number,
  solved: Float64Array,
): number {
  const { data, cols: width } = space
  const start = row * width
  let sum = 0
  for (let i = 0; i < width; i++) {
    const offset = i * width
    let value = data[start + i] - mean[i]
    for (let k = 0; k < i; k++) value -= lower[offset + k] * solved[k]
    value /= lower[offset + i]
    solved[i] = value
    sum += value * value
    if (sum > limit) return Number.POSITIVE_INFINITY
  }
  return sum
}

/** Squared distance of each of `rows` to their coordinate-wise median, each column in units of its spread. */
function startingDistances(space: FeatureMatrix, rows: Int32Array, out: Float64Array): void {
  const width = space.cols
  const column = new Float64Array(rows.length)
  out.fill(0)
  // Three order statistics per column, selected rather than sorted for: the same values in linear time.
  const scratch = new Float64Array(rows.length)
  for (let col = 0; col < width; col++) {
    for (let index = 0; index < rows.length; index++) column[index] = space.data[rows[index] * width + col]
    scratch.set(column)
    const centre = selectInPlace(scratch, rows.length >> 1)
    const spread =
      selectInPlace(scratch, Math.floor(0.75 * (rows.length - 1))) -
      selectInPlace(scratch, Math.floor(0.25 * (rows.length - 1)))
    if (!(spread > 0)) continue
    for (let index = 0; index < rows.length; index++) out[index] += ((column[index] - centre) / spread) ** 2
  }
}

/** The `size` rows of `rows` with the smallest distances, in ascending row order. */
function closest(rows: Int32Array, distances: Float64Array, size: number): Int32Array {
  const order = Array.from(rows.keys()).sort((a, b) => distances[a] - distances[b] || a - b)
  return Int32Array.from(order.slice(0, size), (index) => rows[index]).sort()
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  return a.every((row, index) => row === b[index])
}

/**
 * At most `limit` of `rows`: those with the smallest keys, so the sample follows the records rather than their
 * order in the file.
 */
function sampleByKey(rows: Int32Array, rowKeys: Uint32Array, limit: number): Int32Array {
  if (rows.length <= limit) return rows
  const order = Array.from(rows).sort((a, b) => rowKeys[a] - rowKeys[b] || a - b)
  return Int32Array.from(order.slice(0, limit)).sort()
}

/** The mean and covariance factor of the core of `rows`: the `coreShare` of them closest to it, by concentration steps. */
function fitCore(space: FeatureMatrix, rows: Int32Array) {
  const size = Math.max(space.cols + 1, Math.ceil(coreShare * rows.length))
  const distances = new Float64Array(rows.length)
  startingDistances(space, rows, distances)
  let core = closest(rows, distances, size)
  for (let step = 0; ; step++) {
    const { mean, scatter } = meanAndScatter(space, core)
    const lower = choleskyWithRidge(
      scatter.map((value) => value / core.length),
      space.cols,
      ridgeShare,
    )
    if (step === maxSteps) return { mean, lower }
    squaredDistances(space, rows, mean, lower, distances)
    const next = closest(rows, distances, size)
    if (sameRows(next, core)) return { mean, lower }
    core = next
  }
}

/**
 * Each group's core mean with one covariance pooled over the groups' cores (their scatters about their own means,
 * summed), by concentration steps run on every group at once: for groups too small to fit a covariance of their
 * own, while still telling the directions every group varies in from those none does.
 */
function fitPooledCores(space: FeatureMatrix, groups: readonly Int32Array[]) {
  const width = space.cols
  const sizes = groups.map((rows) => Math.ceil(coreShare * rows.length))
  const distances = groups.map((rows) => new Float64Array(rows.length))
  let cores = groups.map((rows, group) => {
    startingDistances(space, rows, distances[group])
    return closest(rows, distances[group], sizes[group])
  })
  for (let step = 0; ; step++) {
    const pooled = new Float64Array(width * width)
    let coreRows = 0
    const means = cores.map((core) => {
      const { mean, scatter } = meanAndScatter(space, core)
      for (let index = 0; index < pooled.length; index++) pooled[index] += scatter[index]
      coreRows += core.length
      return mean
    })
    const lower = choleskyWithRidge(
      pooled.map((value) => value / coreRows),
      width,
      ridgeShare,
    )
    const fits = means.map((mean) => ({ mean, lower }))
    if (step === maxSteps) return fits
    const next = groups.map((rows, group) => {
      squaredDistances(space, rows, means[group], lower, distances[group])
      return closest(rows, distances[group], sizes[group])
    })
    if (next.every((core, group) => sameRows(core, cores[group]))) return fits
    cores = next
  }
}

/** Mean and covariance (as its lower Cholesky factor) of a group's core. */
export interface CoreFit {
  readonly mean: Float64Array
  readonly lower: Float64Array
}

/**
 * The mean and covariance of the core of a group, the three quarters of it closest to them (concentration steps
 * from the coordinate-wise median, as FAST-MCD refines its starts): up to a quarter of the group may lie far off in
 * any combination of the features, however correlated they are, without moving the fit. Fitted on at most
 * `maxFitRows` of the group, those with the smallest `rowKeys`.
 * @see Rousseeuw, Van Driessen. A fast algorithm for the minimum covariance determinant estimator. Technometrics 41, 1999.
 */
export function fitTrimmedCore(space: FeatureMatrix, rows: Int32Array, rowKeys: Uint32Array): CoreFit {
  return fitCore(space, sampleByKey(rows, rowKeys, maxFitRows))
}

/** Squared Mahalanobis distance of each of `rows` to a core, into `out` at the same positions. */
export function distancesToCore(
  space: FeatureMatrix,
  fit: CoreFit,
  rows: Int32Array,
  out: Float64Array,
): void {
  squaredDistances(space, rows, fit.mean, fit.lower, out)
}

/**
 * The columns whose two commonest values among `rows` (at most `maxFitRows`, by `rowKeys`) hold less than
 * `coreShare` of them: measurements. One-hot codes and flags make a covariance nearly singular along each rare
 * category, where every honest record holding it would lie far off; noise added to them (up to a quarter of the
 * records) does not make them measurements.
 */
export function measuredColumns(space: FeatureMatrix, rows: Int32Array, rowKeys: Uint32Array): FeatureMatrix {
  const sample = sampleByKey(rows, rowKeys, maxFitRows)
  const kept: number[] = []
  for (let col = 0; col < space.cols; col++) {
    const counts = new Map<number, number>()
    for (const row of sample) {
      const value = space.data[row * space.cols + col]
      counts.set(value, (counts.get(value) ?? 0) + 1)
    }
    const [first = 0, second = 0] = [...counts.values()].sort((a, b) => b - a)
    if (first + second < coreShare * sample.length) kept.push(col)
  }
  if (kept.length === space.cols) return space
  const data = new Float32Array(space.rows * kept.length)
  for (let row = 0; row < space.rows; row++)
    kept.forEach((col, index) => {
      data[row * kept.length + index] = space.data[row * space.cols + col]
    })
  return { data, rows: space.rows, cols: kept.length }
}

/**
 * Groups a record is measured against when there are at most this many; beyond, only its own (every record
 * against every core costs rows × groups × columns²).
 */
const maxComparedGroups = 32

/**
 * Per record, the log of its squared distance to a group's core over the median of that group's members' own,
 * at the group where it is smallest (`nearest`): a record with a wrong label sits at home in another group, a
 * noise record far off in every one. Only records farther than the median from their own group's core are measured
 * against the others (the rest are ordinary wherever they belong), and none when there are more than
 * `maxComparedGroups` groups. With `pooled`, the groups share one covariance (`fitPooledCores`).
 */
export function nearestCoreLogRatios(
  space: FeatureMatrix,
  groups: readonly Int32Array[],
  rowKeys: Uint32Array,
  covariance: 'per-group' | 'pooled' = 'per-group',
) {
  const scores = new Float64Array(space.rows)
  const nearest = new Int32Array(space.rows).fill(-1)
  const distances = new Float64Array(space.rows)
  const fits =
    covariance === 'pooled'
      ? fitPooledCores(
          space,
          groups.map((members) => sampleByKey(members, rowKeys, maxFitRows)),
        )
      : groups.map((members) => fitTrimmedCore(space, members, rowKeys))
  const typical = groups.map((members, group) => {
    distancesToCore(space, fits[group], members, distances)
    const median = quantileSorted(distances.slice(0, members.length).sort(), 0.5, 'higher')
    members.forEach((row, index) => {
      scores[row] = Math.log(median > 0 ? distances[index] / median : 1)
      nearest[row] = group
    })
    return median
  })
  if (groups.length > maxComparedGroups) return { scores, nearest }
  const far = Int32Array.from(groups.flatMap((members) => Array.from(members))).filter(
    (row) => scores[row] > 0,
  )
  const solved = new Float64Array(space.cols)
  for (const row of far) {
    const own = nearest[row]
    fits.forEach((fit, group) => {
      if (group === own) return
      // Past this distance the group cannot beat the record's best ratio so far; a little slack keeps rounding out.
      const limit =
        typical[group] > 0 ? typical[group] * Math.exp(scores[row]) * (1 + 1e-9) : Number.POSITIVE_INFINITY
      const distance = boundedSquaredDistance(space, row, fit, limit, solved)
      const ratio = Math.log(typical[group] > 0 ? distance / typical[group] : 1)
      if (ratio < scores[row]) {
        scores[row] = ratio
        nearest[row] = group
      }
    })
  }
  return { scores, nearest }
}
