import type { NeighbourGraph } from '../../linalg/backend.js'
import { binomialUpperTail } from '../../stats/tails.js'

/**
 * Level at which a region is found to hold a label honestly. Rejecting the null wrongly keeps a flip from being
 * flagged, so this bounds the flips lost to chance (about one in ten thousand); honest labels doubted where two
 * classes overlap reach far smaller p-values (most of the photographs' false alarms below 10⁻⁷).
 */
export const heldLevel = 1e-4

/** Appends the neighbours of `member` that `row`'s region does not hold yet to `region` at `size`; the new size. */
function appendNeighbours(
  graph: NeighbourGraph,
  member: number,
  row: number,
  visited: Int32Array,
  region: Int32Array,
  size: number,
): number {
  const { k, indices } = graph
  let end = size
  for (let position = 0; position < k; position++) {
    const neighbour = indices[member * k + position]
    if (neighbour < 0 || visited[neighbour] === row) continue
    visited[neighbour] = row
    region[end++] = neighbour
  }
  return end
}

/**
 * Writes a record's neighbours and theirs, the record itself left out, into `region` (room for `k + k²`) and returns
 * how many: the region whose labels are its local null. `visited` holds for each record the last row whose region
 * took it in, so it is never cleared.
 */
function fillRegion(graph: NeighbourGraph, row: number, visited: Int32Array, region: Int32Array): number {
  visited[row] = row
  const firstStep = appendNeighbours(graph, row, row, visited, region, 0)
  let size = firstStep
  for (let at = 0; at < firstStep; at++)
    size = appendNeighbours(graph, region[at], row, visited, region, size)
  return size
}

/**
 * The labelled records whose region of the data (their neighbours and theirs) holds their own label more often than
 * random flips put it there: the region is genuinely shared by their class, and their label is not evidence of a
 * flip, however sure the model is of another class. Under the null that the region holds no honest record of the
 * label, its records carry it only by flips, each with chance `noiseRate / (classes − 1)`, so their count is
 * binomial; the count is of the labels the views believe (each weighed by one minus its chance of being wrong,
 * `wrongChances`), which flips rarely are, so the null's tail still bounds it where other flips fall near. A flip in
 * a region pure of its label is not held (10% flips of the mails: 364 of 369 flagged flips kept, the lost ones in
 * regions where 40% of the records bear their label); honest patches of dark foliage in two photographs, to which
 * the model gives the other photograph up to 100% while most of their neighbours share their label, are held.
 */
export function labelsHeldByRegion(
  graph: NeighbourGraph,
  codes: Int32Array,
  wrongChances: Float64Array,
  classCount: number,
  noiseRate: number,
): Uint8Array {
  const flippedInto = Math.min(0.5, noiseRate) / (classCount - 1)
  // Two arrays for all the records' regions: a region per record, with arrays of its own, was a few short-lived
  // arrays for each of a million records.
  const visited = new Int32Array(codes.length).fill(-1)
  const region = new Int32Array(graph.k + graph.k * graph.k)
  const held = new Uint8Array(codes.length)
  for (let row = 0; row < codes.length; row++) {
    const code = codes[row]
    if (code < 0) continue
    const size = fillRegion(graph, row, visited, region)
    let believed = 0
    for (let at = 0; at < size; at++) if (codes[region[at]] === code) believed += 1 - wrongChances[region[at]]
    held[row] = binomialUpperTail(Math.ceil(believed), size, flippedInto) < heldLevel ? 1 : 0
  }
  return held
}
