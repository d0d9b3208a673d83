import type { NeighbourGraph } from '../../linalg/backend.js'

/**
 * What a record's content says about its label: how many of its nearest neighbours carry each label, and the
 * calibrated chance that a record with that many neighbours of a label has the label itself.
 */
export interface ContentSupport {
  readonly k: number
  readonly classCount: number
  /** The neighbour graph's indices, rows × k. */
  readonly neighbours: Int32Array
  /** Weight of each neighbour, falling off with distance relative to the record's own neighbourhood radius. */
  readonly weights: Float32Array
  /** Share of labelled records with each label: the content's guess when nothing else is known. */
  readonly labelShares: Float64Array
  /** Rows × classes: neighbours with each label. */
  readonly counts: Uint8Array
  /** `calibration[c]`: share of (record, class) pairs with `c` neighbours of the class whose label is that class. */
  readonly calibration: Float64Array
}

/** Counts neighbour labels and calibrates counts to probabilities over every labelled record and class. */
export function measureContentSupport(
  graph: NeighbourGraph,
  codes: Int32Array,
  classCount: number,
): ContentSupport {
  const { rows, k, indices, distances } = graph
  const weights = new Float32Array(rows * k)
  for (let row = 0; row < rows; row++) {
    const radius = distances[row * k + k - 1] || 1
    for (let position = 0; position < k; position++)
      weights[row * k + position] = 1 / (1 + distances[row * k + position] / radius)
  }
  const counts = new Uint8Array(rows * classCount)
  for (let row = 0; row < rows; row++) {
    for (let position = 0; position < k; position++) {
      const label = codes[indices[row * k + position]]
      if (label >= 0) counts[row * classCount + label]++
    }
  }
  const hits = new Float64Array(k + 1)
  const totals = new Float64Array(k + 1)
  for (let row = 0; row < rows; row++) {
    const own = codes[row]
    if (own < 0) continue
    for (let label = 0; label < classCount; label++) {
      const count = counts[row * classCount + label]
      totals[count]++
      if (label === own) hits[count]++
    }
  }
  const calibration = calibrate(hits, totals, classCount)
  const labelShares = new Float64Array(classCount)
  let labelled = 0
  for (const code of codes) {
    if (code < 0) continue
    labelShares[code]++
    labelled++
  }
  for (let label = 0; label < classCount; label++) labelShares[label] /= Math.max(1, labelled)
  return { k, classCount, counts, calibration, neighbours: indices, weights, labelShares }
}

/**
 * `hits[c] / totals[c]` with a few pseudo-observations at the base rate, which keep sparsely seen counts away from
 * exact 0 and 1.
 */
function calibrate(hits: Float64Array, totals: Float64Array, classCount: number): Float64Array {
  const prior = 1 / classCount
  const pseudoCount = 2
  return Float64Array.from(hits, (hit, count) => (hit + prior * pseudoCount) / (totals[count] + pseudoCount))
}

/**
 * The calibration of another reading of neighbours (see `ContentSupport.calibration`): `labels` holds the `k`
 * neighbours' labels of each of `rows` (-1 where none), counts rescaled to `k` where fewer were found.
 */
export function calibrateReading(
  labels: Int32Array,
  rows: Int32Array,
  codes: Int32Array,
  k: number,
  classCount: number,
): Float64Array {
  const hits = new Float64Array(k + 1)
  const totals = new Float64Array(k + 1)
  const counts = new Float64Array(classCount)
  rows.forEach((row, index) => {
    if (codes[row] < 0) return
    const found = tallyLabels(labels.subarray(index * k, (index + 1) * k), counts)
    if (found === 0) return
    for (let label = 0; label < classCount; label++) {
      const count = Math.round((counts[label] * k) / found)
      totals[count]++
      if (label === codes[row]) hits[count]++
    }
  })
  return calibrate(hits, totals, classCount)
}

/** Fills `counts` with how many of `labels` hold each label (-1 skipped); returns how many were labelled. */
export function tallyLabels(labels: ArrayLike<number>, counts: Float64Array): number {
  counts.fill(0)
  let found = 0
  for (let index = 0; index < labels.length; index++) {
    if (labels[index] < 0) continue
    counts[labels[index]]++
    found++
  }
  return found
}

/** The calibrated chance that `row` is labelled `label`, judged from its neighbours alone. */
export function expectedLabelShare(support: ContentSupport, row: number, label: number): number {
  return support.calibration[support.counts[row * support.classCount + label]]
}

/**
 * Adds to `expected[label]` the calibrated chance of every label for `row`, judged only from neighbours that are
 * not marked: a trigger that dominates the geometry makes its carriers each other's neighbours, so their
 * content is read from the others. Counts are rescaled to `k` neighbours. Returns false, adding nothing, when too
 * few unmarked neighbours are left to say anything (the carriers crowd each other): the caller reads such a
 * record some other way.
 */
export function addExpectedExcluding(
  support: ContentSupport,
  codes: Int32Array,
  row: number,
  marks: Uint8Array,
  counts: Float64Array,
  expected: Float64Array,
): boolean {
  const { k, neighbours } = support
  counts.fill(0)
  let kept = 0
  for (let position = 0; position < k; position++) {
    const neighbour = neighbours[row * k + position]
    if (marks[neighbour] || codes[neighbour] < 0) continue
    counts[codes[neighbour]]++
    kept++
  }
  if (kept < minimumKept(k)) return false
  addCalibrated(support.calibration, counts, kept, expected)
  return true
}

/** Adds to `expected[label]` the chance `calibration` gives every label for `counts` of `kept` neighbours' labels. */
export function addCalibrated(
  calibration: Float64Array,
  counts: Float64Array,
  kept: number,
  expected: Float64Array,
): void {
  const k = calibration.length - 1
  for (let label = 0; label < counts.length; label++)
    expected[label] += calibration[Math.round((counts[label] * k) / kept)]
}

/** Unmarked neighbours needed to read content: one or two left would swing a record to either extreme. */
function minimumKept(k: number): number {
  return Math.max(1, Math.ceil(k / 4))
}

/**
 * Where `row` sits between "no neighbour has `label`" (0) and "all do" (`k`), from distance-weighted votes of the
 * neighbours that are not marked: finer than a count, so records with the same count still rank by how near the
 * agreeing neighbours are. -1 when too few neighbours are unmarked.
 */
export function labelPosition(
  support: ContentSupport,
  codes: Int32Array,
  row: number,
  label: number,
  marks: Uint8Array | undefined,
): number {
  const { k, neighbours, weights } = support
  let kept = 0
  let total = 0
  let agreeing = 0
  for (let position = 0; position < k; position++) {
    const neighbour = neighbours[row * k + position]
    if (marks?.[neighbour] || codes[neighbour] < 0) continue
    kept++
    total += weights[row * k + position]
    if (codes[neighbour] === label) agreeing += weights[row * k + position]
  }
  return kept < minimumKept(k) ? -1 : (agreeing / total) * k
}
