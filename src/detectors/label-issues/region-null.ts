import type { NeighbourGraph } from '../../linalg/backend.js'
import { binomialUpperTail } from '../../stats/tails.js'

/**
 * Level at which a region is found to hold a label honestly. Rejecting the null wrongly keeps a flip from being
 * flagged, so this bounds the flips lost to chance (about one in ten thousand); honest labels doubted where two
 * classes overlap reach far smaller p-values (most of the photographs' false alarms below 10⁻⁷).
 */
export const heldLevel = 1e-4

/** Where each record's numbers sit in the packed array (see `packRecords`). */
const lastRegionSlot = 0
const codeSlot = 1
const beliefSlot = 2
const stride = 3

/**
 * Per record, side by side: the last row whose region took it in (-1 for none yet), its label's code and the chance
 * its label is right. A region's members lie anywhere in the data, and reading these from three arrays was three
 * fetches from memory per member: at a million records, where the arrays are far larger than the caches, most of
 * the time.
 */
function packRecords(codes: Int32Array, wrongChances: Float64Array): Float64Array {
  const records = new Float64Array(stride * codes.length)
  for (let row = 0; row < codes.length; row++) {
    records[stride * row + lastRegionSlot] = -1
    records[stride * row + codeSlot] = codes[row]
    records[stride * row + beliefSlot] = 1 - wrongChances[row]
  }
  return records
}

/** A region's size and the summed belief of its records bearing the label in question. */
interface RegionTally {
  size: number
  believed: number
}

/**
 * Takes the neighbours of `member` that `row`'s region does not hold yet into it, tallying them and the belief of
 * those labelled `label`; with `reached`, writes them there from the tally's size on.
 */
function takeNeighbours(
  graph: NeighbourGraph,
  member: number,
  row: number,
  label: number,
  records: Float64Array,
  tally: RegionTally,
  reached?: Int32Array,
): void {
  const { k, indices } = graph
  for (let position = 0; position < k; position++) {
    const neighbour = indices[member * k + position]
    const at = stride * neighbour
    if (neighbour < 0 || records[at + lastRegionSlot] === row) continue
    records[at + lastRegionSlot] = row
    if (reached) reached[tally.size] = neighbour
    tally.size++
    if (records[at + codeSlot] === label) tally.believed += records[at + beliefSlot]
  }
}

/**
 * Tallies a record's region, its neighbours and theirs with the record itself left out: the records whose labels
 * are its local null. `firstStep` has room for `k` neighbours.
 */
function tallyRegion(
  graph: NeighbourGraph,
  row: number,
  records: Float64Array,
  firstStep: Int32Array,
  tally: RegionTally,
): void {
  const label = records[stride * row + codeSlot]
  records[stride * row + lastRegionSlot] = row
  tally.size = 0
  tally.believed = 0
  takeNeighbours(graph, row, row, label, records, tally, firstStep)
  const reached = tally.size
  for (let at = 0; at < reached; at++) takeNeighbours(graph, firstStep[at], row, label, records, tally)
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
  // One array for all the records' regions: a region per record, with arrays of its own, was a few short-lived
  // arrays for each of a million records.
  const records = packRecords(codes, wrongChances)
  const firstStep = new Int32Array(graph.k)
  const tally: RegionTally = { size: 0, believed: 0 }
  const held = new Uint8Array(codes.length)
  for (let row = 0; row < codes.length; row++) {
    if (codes[row] < 0) continue
    tallyRegion(graph, row, records, firstStep, tally)
    held[row] = binomialUpperTail(Math.ceil(tally.believed), tally.size, flippedInto) < heldLevel ? 1 : 0
  }
  return held
}
