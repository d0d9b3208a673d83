import type { NeighbourGraph } from '../../linalg/backend.js'
import { binomialUpperTail } from '../../stats/tails.js'

/**
 * Level at which a region is found to hold a label honestly. Rejecting the null wrongly keeps a flip from being
 * flagged, so this bounds the flips lost to chance (about one in ten thousand); honest labels doubted where two
 * classes overlap reach far smaller p-values (most of the photographs' false alarms below 10⁻⁷).
 */
const heldLevel = 1e-4

/** A record's neighbours and theirs, the record itself left out: the region whose labels are its local null. */
function regionOf(graph: NeighbourGraph, row: number, visited: Int32Array): number[] {
  const { k, indices } = graph
  visited[row] = row
  const region: number[] = []
  let frontier = [row]
  for (let reach = 0; reach < 2; reach++) {
    const next: number[] = []
    for (const member of frontier)
      for (let position = 0; position < k; position++) {
        const neighbour = indices[member * k + position]
        if (neighbour < 0 || visited[neighbour] === row) continue
        visited[neighbour] = row
        next.push(neighbour)
      }
    region.push(...next)
    frontier = next
  }
  return region
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
  const visited = new Int32Array(codes.length).fill(-1)
  return Uint8Array.from(codes, (code, row) => {
    if (code < 0) return 0
    const region = regionOf(graph, row, visited)
    let believed = 0
    for (const member of region) if (codes[member] === code) believed += 1 - wrongChances[member]
    return binomialUpperTail(Math.ceil(believed), region.length, flippedInto) < heldLevel ? 1 : 0
  })
}
