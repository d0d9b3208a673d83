import type { NeighbourGraph } from '../../linalg/backend.js'

/** Union–find over rows, with path halving. */
function findRoot(parents: Int32Array, row: number): number {
  let node = row
  while (parents[node] !== node) {
    parents[node] = parents[parents[node]]
    node = parents[node]
  }
  return node
}

/** Whether `other` is among the first `k` neighbours of `row`. */
function isNeighbour(graph: NeighbourGraph, row: number, other: number, k: number): boolean {
  for (let position = 0; position < k; position++)
    if (graph.indices[row * graph.k + position] === other) return true
  return false
}

/**
 * Groups of same-label records that are each other's nearest neighbours: two records of a label are linked when
 * each is among the other's first `linkNeighbours`. Returns each row's group id (a representative row; -1 when
 * unlabelled).
 */
export function sameLabelGroups(
  graph: NeighbourGraph,
  codes: Int32Array,
  linkNeighbours: number,
): Int32Array {
  const parents = Int32Array.from({ length: graph.rows }, (_, row) => row)
  const k = Math.min(linkNeighbours, graph.k)
  for (let row = 0; row < graph.rows; row++) {
    if (codes[row] < 0) continue
    for (let position = 0; position < k; position++) {
      const other = graph.indices[row * graph.k + position]
      if (other <= row || codes[other] !== codes[row] || !isNeighbour(graph, other, row, k)) continue
      parents[findRoot(parents, other)] = findRoot(parents, row)
    }
  }
  return Int32Array.from(parents, (_, row) => (codes[row] < 0 ? -1 : findRoot(parents, row)))
}

/** A group of same-label records and the labels of the records around it. */
export interface NeighbourhoodOfGroup {
  readonly members: Int32Array
  readonly code: number
  /** Labels of the members' neighbours that are not members, weighted alike, per class. */
  readonly outsideVotes: Float64Array
  /** Plurality label of `outsideVotes` (-1 when there are none) and its share of them. */
  readonly plurality: number
  readonly pluralityShare: number
}

/**
 * Deep k-NN for a group rather than a record: the plurality label of the members' neighbours, not counting the
 * members themselves. A single record is a group of one, so this is the plain Deep k-NN vote; a clump of poisons,
 * whose nearest neighbours are each other, is judged by where the clump sits.
 * @see Peri et al. Deep k-NN Defense against Clean-label Data Poisoning Attacks. ECCV Workshops, 2020.
 */
export function voteAroundGroup(
  graph: NeighbourGraph,
  codes: Int32Array,
  classCount: number,
  members: Int32Array,
  groupOf: Int32Array,
): NeighbourhoodOfGroup {
  const group = groupOf[members[0]]
  const outsideVotes = new Float64Array(classCount)
  for (const row of members)
    for (let position = 0; position < graph.k; position++) {
      const neighbour = graph.indices[row * graph.k + position]
      if (groupOf[neighbour] === group || codes[neighbour] < 0) continue
      outsideVotes[codes[neighbour]]++
    }
  let plurality = -1
  let total = 0
  outsideVotes.forEach((votes, code) => {
    total += votes
    if (votes > 0 && (plurality < 0 || votes > outsideVotes[plurality])) plurality = code
  })
  const pluralityShare = plurality < 0 ? 0 : outsideVotes[plurality] / total
  return { members, code: codes[members[0]], outsideVotes, plurality, pluralityShare }
}

/**
 * Chance that the largest of `count` groups is at least `size` records, when group sizes follow a geometric law
 * with the given mean (sizes 1, 2, …): how clusters of records stranded in another class are sized when they
 * gather by chance, each further record a constant chance of joining.
 */
export function largestGroupPValue(size: number, meanSize: number, count: number): number {
  const stay = meanSize > 1 ? 1 - 1 / meanSize : 0
  const tail = stay ** (size - 1)
  return Math.min(1, -Math.expm1(count * Math.log1p(-Math.min(tail, 1 - 1e-16))))
}

/**
 * The record of `label` nearest, on average, to the members of a group among their neighbours: the instance a
 * collision aims at shows up in most of the poisons' neighbourhoods. -1 when no neighbour has the label.
 */
export function focalInstance(
  graph: NeighbourGraph,
  codes: Int32Array,
  members: Int32Array,
  label: number,
): { row: number; reach: number } {
  const seen = new Map<number, { count: number; distance: number }>()
  for (const row of members)
    for (let position = 0; position < graph.k; position++) {
      const neighbour = graph.indices[row * graph.k + position]
      if (codes[neighbour] !== label) continue
      const entry = seen.get(neighbour) ?? { count: 0, distance: 0 }
      entry.count++
      entry.distance += graph.distances[row * graph.k + position]
      seen.set(neighbour, entry)
    }
  let row = -1
  let best = { count: 0, distance: 0 }
  for (const [candidate, entry] of seen) {
    const better =
      entry.count > best.count ||
      (entry.count === best.count && entry.distance / entry.count < best.distance / Math.max(1, best.count))
    if (row >= 0 && !better) continue
    row = candidate
    best = entry
  }
  return { row, reach: best.count / members.length }
}
