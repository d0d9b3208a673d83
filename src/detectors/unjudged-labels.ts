import type { LabelColumn } from '../data/dataset.js'
import type { NeighbourGraph } from '../linalg/backend.js'
import { quantileSorted } from '../stats/quantiles.js'

/**
 * Quantile of the distances from records of shared labels to their nearest neighbour beyond which a record lies
 * apart from the rest of the data.
 */
const apartQuantile = 0.9

/** The records the label detectors leave unjudged, and the labels they hold, for the warnings. */
export interface UnjudgedRecords {
  /** 1 where a record's label is not judged. */
  readonly rows: Uint8Array
  /** Labels a single record holds, that record lying apart. */
  readonly singleLabels: readonly number[]
  /** Labels of few records split between a group apart, left unjudged, and records among another label's. */
  readonly splitLabels: readonly number[]
  /** Records left unjudged in `splitLabels`. */
  readonly splitRecords: number
}

/**
 * The records whose labels the label detectors cannot judge, because nothing else near them carries their label:
 * - a label a single record holds where that record lies apart from the rest (its nearest neighbour farther than
 *   90% of the records of shared labels have theirs). No model's training fold or neighbour can give it: in 60
 *   categories of 1 to 200 records, 23 of the 26 single records were flagged as label issues. A single record
 *   inside another class's crowd stays judged: it is what a relabelled record looks like when no other record
 *   holds its new label (three of 57 random flips on the same categories);
 * - a group apart of a label held by few records, where the label's other records sit among another label's. A
 *   flip into a label one honest record held made a class of two far apart, and out of fold each half gave the
 *   other's label nothing, so the honest record was doubted with the flip (2.2–3.7% of the clean records of that
 *   long tail flagged under 10% flips, seeds 1–3). The records in the crowd stay judged: they are the intruders.
 */
export function unjudgedRecords(labels: LabelColumn, graph: NeighbourGraph): UnjudgedRecords {
  const { codes } = labels
  const { k, distances } = graph
  const rows = new Uint8Array(codes.length)
  const members = labelMembers(codes, labels.classes.length)
  // Labels of no more records than each record's neighbours: every record's list reaches past its own label's
  // records, so the graph tells how far each of them lies from the rest.
  const few = members.map((rowsOfLabel) => rowsOfLabel.length > 0 && rowsOfLabel.length <= k)
  const none = { rows, singleLabels: [], splitLabels: [], splitRecords: 0 }
  if (k === 0 || !few.some(Boolean)) return none
  const shared: number[] = []
  codes.forEach((code, row) => {
    if (code >= 0 && members[code].length > 1) shared.push(distances[row * k])
  })
  // NaN where every label is a single record's: then each lies apart.
  const apart = quantileSorted(Float64Array.from(shared).sort(), apartQuantile)
  const singleLabels: number[] = []
  const splitLabels: number[] = []
  let splitRecords = 0
  members.forEach((rowsOfLabel, code) => {
    if (!few[code]) return
    if (rowsOfLabel.length === 1) {
      if (!(distances[rowsOfLabel[0] * k] <= apart)) {
        rows[rowsOfLabel[0]] = 1
        singleLabels.push(code)
      }
      return
    }
    const groups = neighbourGroups(rowsOfLabel, graph)
    if (groups.length === 1) return
    const places = groups.map((group) => groupPlace(group, codes, graph, apart))
    // Anything else leaves nothing to tell which group holds the label honestly: two groups apart (a cluster of
    // two whose records were both relabelled into the same small label), or one beside a lone record of another
    // label rather than inside a crowd. Each is judged.
    if (places.filter((place) => place === 'apart').length !== 1 || places.includes('between')) return
    const alone = groups[places.indexOf('apart')]
    splitLabels.push(code)
    for (const row of alone) rows[row] = 1
    splitRecords += alone.length
  })
  return { rows, singleLabels, splitLabels, splitRecords }
}

/**
 * Where a group of a label's records lies: `crowd` where one of them is inside another label's crowd (its nearest
 * record outside the group has records of its own label among its neighbours, and is no farther than those, or than
 * most records lie from their nearest), `apart` where each lies apart from the rest and in no crowd, `between` where
 * the nearest records are lone records of other labels.
 */
function groupPlace(
  group: readonly number[],
  codes: Int32Array,
  graph: NeighbourGraph,
  apart: number,
): 'crowd' | 'apart' | 'between' {
  const { k, indices, distances } = graph
  const inGroup = new Set(group)
  let allApart = true
  for (const row of group) {
    let position = 0
    while (inGroup.has(indices[row * k + position])) position++
    const distance = distances[row * k + position]
    const radius = crowdRadius(indices[row * k + position], codes, graph)
    if (radius > Number.NEGATIVE_INFINITY && distance <= Math.max(radius, apart)) return 'crowd'
    if (distance <= Math.max(radius, apart)) allApart = false
  }
  return allApart ? 'apart' : 'between'
}

/**
 * How far a record's crowd reaches around it: the farthest of its neighbours that share its label, or -∞ where
 * none do. A record nearer to it than that is among that label's records, however sparse they lie: the members of
 * a cluster of five lie farther from one another than 90% of a large cluster's records from theirs, and a record
 * relabelled there is in that crowd all the same.
 */
function crowdRadius(row: number, codes: Int32Array, graph: NeighbourGraph): number {
  const { k, indices, distances } = graph
  let radius = Number.NEGATIVE_INFINITY
  for (let position = 0; position < k; position++)
    if (codes[indices[row * k + position]] === codes[row]) radius = distances[row * k + position]
  return radius
}

/** Each label's records, in row order. */
function labelMembers(codes: Int32Array, classCount: number): number[][] {
  const members: number[][] = Array.from({ length: classCount }, () => [])
  codes.forEach((code, row) => {
    if (code >= 0) members[code].push(row)
  })
  return members
}

/** The label's records joined where one is among the other's nearest neighbours. */
function neighbourGroups(rowsOfLabel: readonly number[], graph: NeighbourGraph): number[][] {
  const { k, indices } = graph
  const group = new Map<number, number>(rowsOfLabel.map((row, index) => [row, index]))
  const parent = rowsOfLabel.map((_, index) => index)
  const root = (index: number): number => {
    while (parent[index] !== index) index = parent[index] = parent[parent[index]]
    return index
  }
  rowsOfLabel.forEach((row, index) => {
    for (let position = 0; position < k; position++) {
      const other = group.get(indices[row * k + position])
      if (other !== undefined) parent[root(other)] = root(index)
    }
  })
  const groups = new Map<number, number[]>()
  rowsOfLabel.forEach((row, index) => {
    const key = root(index)
    groups.set(key, [...(groups.get(key) ?? []), row])
  })
  return [...groups.values()]
}

/** Names the labels whose records the label detectors leave unjudged (`unjudgedRecords`). */
export function unjudgedWarnings(labels: LabelColumn, unjudged: UnjudgedRecords): string[] {
  const named = (codes: readonly number[]) => {
    const names = codes.slice(0, 3).map((code) => `"${labels.classes[code]}"`)
    const more = codes.length > names.length ? ` and ${codes.length - names.length} more` : ''
    return `${names.join(', ')}${more}`
  }
  const warnings: string[] = []
  if (unjudged.singleLabels.length > 0)
    warnings.push(
      `${unjudged.singleLabels.length} label(s) held by a single record apart from the rest ` +
        `(${named(unjudged.singleLabels)}): nothing else in the data can confirm or doubt them, so their ` +
        'records are not judged',
    )
  if (unjudged.splitLabels.length > 0)
    warnings.push(
      `${unjudged.splitLabels.length} label(s) held by few records lie both apart from the rest and among ` +
        `another label's records (${named(unjudged.splitLabels)}): the ${unjudged.splitRecords} record(s) ` +
        'apart are not judged, those among another label are',
    )
  return warnings
}
