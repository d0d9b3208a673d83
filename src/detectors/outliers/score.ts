import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { benjaminiHochberg } from '../../stats/multiple-testing.js'
import { quantileSorted } from '../../stats/quantiles.js'
import { anomalyProbability, fitTail, type TailModel, type TailShape, tailProbability } from './calibrate.js'
import { findTailGap } from './gap.js'

/** Mean distance from every record to its k nearest neighbours. */
export function meanNeighbourDistances(graph: NeighbourGraph): Float64Array {
  const means = new Float64Array(graph.rows)
  for (let row = 0; row < graph.rows; row++) {
    let sum = 0
    for (let position = 0; position < graph.k; position++) sum += graph.distances[row * graph.k + position]
    means[row] = sum / graph.k
  }
  return means
}

/**
 * How much sparser a record's neighbourhood is than its neighbours' own neighbourhoods: its mean neighbour
 * distance over theirs. Near 1 inside any cluster, dense or sparse; large for a record off every cluster. The
 * neighbours' distance counts as at least the 5th percentile of everyone's, so a record near a clump of
 * duplicates (whose distances are nil) is not called infinitely sparse; copies, which short texts and
 * tables hold by the hundreds, do not count towards that percentile.
 * @see Breunig, Kriegel, Ng, Sander. LOF: Identifying Density-Based Local Outliers. SIGMOD 2000.
 */
export function localSparsityRatios(graph: NeighbourGraph, means: Float64Array): Float64Array {
  const sorted = Float64Array.from(means.filter((mean) => mean > 0)).sort()
  const floor = sorted.length > 0 ? quantileSorted(sorted, 0.05, 'lower') : 0
  const ratios = new Float64Array(graph.rows)
  for (let row = 0; row < graph.rows; row++) {
    let sum = 0
    for (let position = 0; position < graph.k; position++)
      sum += means[graph.indices[row * graph.k + position]]
    const neighbourhood = Math.max(sum / graph.k, floor)
    ratios[row] = neighbourhood > 0 ? means[row] / neighbourhood : means[row] > 0 ? Number.MAX_VALUE : 1
  }
  return ratios
}

/**
 * How much more a record differs from its graph neighbours in the raw features than in the reduced features
 * the graph was built on: the detail the data's main patterns do not explain (pixel noise, a corrupted column),
 * a neighbour-wise reconstruction error.
 */
export function rawDetailRatios(raw: FeatureMatrix, graph: NeighbourGraph): Float64Array {
  const { k, indices } = graph
  const ratios = new Float64Array(graph.rows)
  // Raw distances by (row, position): a pair that lists each other is measured once, when the later row reads the
  // earlier one's list (the same sum, as (a − b)² = (b − a)² to the bit).
  const rawDistances = new Float64Array(graph.rows * k)
  const unmeasured = new Int32Array(k)
  for (let row = 0; row < graph.rows; row++) {
    let count = 0
    for (let position = 0; position < k; position++) {
      const neighbour = indices[row * k + position]
      const known = neighbour < row ? distanceListed(graph, rawDistances, neighbour, row) : -1
      if (known < 0) unmeasured[count++] = position
      else rawDistances[row * k + position] = known
    }
    measureRawDistances(raw, graph, row, unmeasured, count, rawDistances)
    let rawSum = 0
    let reducedSum = 0
    for (let position = 0; position < k; position++) {
      rawSum += rawDistances[row * k + position]
      reducedSum += graph.distances[row * k + position]
    }
    ratios[row] = reducedSum > 0 ? rawSum / reducedSum : rawSum > 0 ? Number.MAX_VALUE : 1
  }
  return ratios
}

/** The raw distance `row` was measured at from `from`, whose list holds it; -1 when it does not. */
function distanceListed(
  graph: NeighbourGraph,
  rawDistances: Float64Array,
  from: number,
  row: number,
): number {
  const { k, indices } = graph
  for (let at = from * k, end = at + k; at < end; at++) if (indices[at] === row) return rawDistances[at]
  return -1
}

/**
 * Raw distances from `row` to the neighbours at `positions[0, count)` of its list. Four neighbours go through the
 * columns side by side, each sum still added up column by column: four independent sums keep the adder busy
 * where one waits on its previous addition, and the row's values are read once for all four.
 */
function measureRawDistances(
  raw: FeatureMatrix,
  graph: NeighbourGraph,
  row: number,
  positions: Int32Array,
  count: number,
  out: Float64Array,
): void {
  const { data, cols } = raw
  const { k, indices } = graph
  const own = row * cols
  const list = row * k
  let index = 0
  for (; index + 4 <= count; index += 4) {
    const first = indices[list + positions[index]] * cols
    const second = indices[list + positions[index + 1]] * cols
    const third = indices[list + positions[index + 2]] * cols
    const fourth = indices[list + positions[index + 3]] * cols
    let squared0 = 0
    let squared1 = 0
    let squared2 = 0
    let squared3 = 0
    for (let col = 0; col < cols; col++) {
      const value = data[own + col]
      squared0 += (value - data[first + col]) ** 2
      squared1 += (value - data[second + col]) ** 2
      squared2 += (value - data[third + col]) ** 2
      squared3 += (value - data[fourth + col]) ** 2
    }
    out[list + positions[index]] = Math.sqrt(squared0)
    out[list + positions[index + 1]] = Math.sqrt(squared1)
    out[list + positions[index + 2]] = Math.sqrt(squared2)
    out[list + positions[index + 3]] = Math.sqrt(squared3)
  }
  for (; index < count; index++) {
    const other = indices[list + positions[index]] * cols
    let squared = 0
    for (let col = 0; col < cols; col++) squared += (data[own + col] - data[other + col]) ** 2
    out[list + positions[index]] = Math.sqrt(squared)
  }
}

/** Each record's mean neighbour distance over the median of its calibration group (its class, or everyone). */
export function relativeToGroupMedian(values: Float64Array, groups: readonly Int32Array[]): Float64Array {
  const relative = new Float64Array(values.length)
  for (const rows of groups) {
    const sorted = Float64Array.from(rows, (row) => values[row]).sort()
    const median = quantileSorted(sorted, 0.5, 'higher')
    for (const row of rows)
      relative[row] = median > 0 ? values[row] / median : values[row] > 0 ? Number.MAX_VALUE : 1
  }
  return relative
}

/** One anomaly score of every record, calibrated within groups of records (per class or all together). */
export interface OutlierComponent {
  readonly name: string
  /** Higher is more anomalous; only the records in `groups` are read. */
  readonly scores: ArrayLike<number>
  readonly groups: readonly Int32Array[]
  readonly tail: TailShape
  /**
   * Set for a score a tenth or more of the records may share (noise records added in bulk): its tail is fitted
   * below them, on the median and the 75th percentile, and a record's chance is one minus its Benjamini–Hochberg
   * q-value among the records the component judges, so that a crowd of anomalies raises each other's evidence
   * instead of drowning in a correction for every record tested.
   */
  readonly contaminated?: boolean
}

/** Calibrated components and their combination, per record. */
export interface CalibratedOutliers {
  /** Chance each record is an anomaly rather than an extreme ordinary record, in [0,1]. */
  readonly suspicion: Float32Array
  /** Per component, the chance it alone gives each record. */
  readonly byComponent: readonly Float64Array[]
  /** Per component, the calibration group each record was judged in (-1 when none). */
  readonly groupOf: readonly Int32Array[]
  /** Tail models per component and group (undefined where the group's spread was nil). */
  readonly models: (TailModel | undefined)[][]
  /**
   * Per component, the lowest score of the group of highest scores that stands apart from the rest of its tail
   * (a contaminated component's gap at `standApartLevel`); infinite where none does.
   */
  readonly standApartFrom: readonly number[]
}

/**
 * Turns each component's scores into a chance of being anomalous with a tail model fitted per group, corrected
 * for the number of records and components tested (a contaminated component: for its false discoveries), and combines the components as independent witnesses
 * (noisy-OR): one clear signal decides, two moderate ones that agree add up.
 */
export function calibrateComponents(
  rowCount: number,
  components: readonly OutlierComponent[],
): CalibratedOutliers {
  const testCount = rowCount * components.length
  const byComponent = components.map(() => new Float64Array(rowCount))
  const groupOf = components.map(() => new Int32Array(rowCount).fill(-1))
  const models = components.map((entry, index) =>
    entry.groups.map((rows, groupIndex) => {
      const model = fitTail(entry.scores, entry.tail, rows, entry.contaminated ? coreQuantile : undefined)
      if (!model) return undefined
      for (const row of rows) {
        const tailChance = tailProbability(model, entry.scores[row])
        byComponent[index][row] = entry.contaminated ? tailChance : anomalyProbability(tailChance, testCount)
        groupOf[index][row] = groupIndex
      }
      return model
    }),
  )
  const standApartFrom = components.map((entry, index) =>
    entry.contaminated
      ? discoveryChances(entry.scores, byComponent[index], groupOf[index], components.length)
      : Number.POSITIVE_INFINITY,
  )
  const suspicion = new Float32Array(rowCount)
  for (let row = 0; row < rowCount; row++) {
    let ordinary = 1
    for (const chances of byComponent) ordinary *= 1 - chances[row]
    suspicion[row] = 1 - ordinary
  }
  return { suspicion, byComponent, groupOf, models, standApartFrom }
}

/** Quantile a contaminated component's tail is fitted up to: below a quarter of anomalies. */
const coreQuantile = 0.75

/**
 * The group of a component's highest scores among `rows` that stands apart most from the rest of its tail: among
 * the top tenth, or for a contaminated component among the top quarter, the most its tail fit allows for. The test
 * reads each score as a draw of its own, so the records must be distinct (the detector sees each record once).
 */
export function componentGap(component: Pick<OutlierComponent, 'scores' | 'contaminated'>, rows: Int32Array) {
  const scores = Float64Array.from(rows, (row) => component.scores[row])
  return findTailGap(scores, component.contaminated ? 1 - coreQuantile : 0.1)
}

/**
 * Level at which a contaminated component's highest scores stand apart from its tail (Bonferroni over the
 * components): the scan's default false-discovery rate.
 */
const standApartLevel = 0.01

/**
 * Tail chances of the judged records (`groupOf` ≥ 0) replaced in place by one minus their Benjamini–Hochberg
 * q-value. A tail fitted on a quarter of the data cannot tell a heavy honest tail from a crowd of anomalies, so
 * only records in a group of highest scores that stands apart from the rest (`findTailGap`, the data's own null)
 * keep that chance in full; the others keep half of it, enough to rank them, never alone enough to flag them.
 * Returns the lowest score of that group, infinite when none stands apart.
 */
function discoveryChances(
  scores: ArrayLike<number>,
  chances: Float64Array,
  groupOf: Int32Array,
  componentCount: number,
): number {
  const judged = Int32Array.from(groupOf.keys()).filter((row) => groupOf[row] >= 0)
  const qValues = benjaminiHochberg(Float64Array.from(judged, (row) => chances[row]))
  const gap = componentGap({ scores, contaminated: true }, judged)
  const apartFrom = gap.pValue * componentCount < standApartLevel ? gap.lowestScore : Number.POSITIVE_INFINITY
  judged.forEach((row, index) => {
    chances[row] = (1 - qValues[index]) * (scores[row] >= apartFrom ? 1 : 0.5)
  })
  return apartFrom
}

/**
 * Each record's chance of being an anomaly read from the components in `backed` alone (noisy-OR, as in
 * `calibrateComponents`): the evidence a detector may flag on once only those components' highest scores stand
 * apart from the data's own tail. Another component's tail, however long, holds honest records the gap says
 * nothing about.
 */
export function suspicionFrom(result: CalibratedOutliers, backed: readonly number[]): Float32Array {
  const suspicion = new Float32Array(result.suspicion.length)
  for (let row = 0; row < suspicion.length; row++) {
    let ordinary = 1
    for (const index of backed) ordinary *= 1 - result.byComponent[index][row]
    suspicion[row] = 1 - ordinary
  }
  return suspicion
}
