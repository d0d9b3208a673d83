import type { FeatureMatrix } from '../data/matrix.js'
import { selectInPlace } from '../stats/quantiles.js'
import { type Rng, shuffledIndices } from '../util/rng.js'
import { type GramMatrix, SCALES, triangleRow } from './mmd-gram.js'
import type { WithinWork, WorkShare } from './mmd-work.js'

const BANDWIDTH_SAMPLE = 400

/** Picks min(count, rows) distinct rows at random, in random order. */
export function sampleRows(rows: number, count: number, rng: Rng): Int32Array {
  return shuffledIndices(rows, rng).slice(0, Math.min(rows, count))
}

/**
 * The chosen rows of both matrices stacked into one, standardised with the pooled mean and deviation of each
 * column (constant columns dropped) and randomly projected when wider than `maxDimensions`.
 */
export function poolStandardised(
  reference: FeatureMatrix,
  batch: FeatureMatrix,
  referenceRows: Int32Array,
  batchRows: Int32Array,
  maxDimensions: number,
  rng: Rng,
): { data: Float64Array; dimensions: number; projected: boolean } {
  const cols = reference.cols
  const total = referenceRows.length + batchRows.length
  const raw = new Float64Array(total * cols)
  referenceRows.forEach((row, index) => {
    for (let col = 0; col < cols; col++) raw[index * cols + col] = reference.data[row * cols + col]
  })
  batchRows.forEach((row, index) => {
    const target = (referenceRows.length + index) * cols
    for (let col = 0; col < cols; col++) raw[target + col] = batch.data[row * cols + col]
  })
  const kept: number[] = []
  const means: number[] = []
  const scales: number[] = []
  for (let col = 0; col < cols; col++) {
    let sum = 0
    let squares = 0
    for (let index = col; index < raw.length; index += cols) sum += raw[index]
    const mean = sum / total
    for (let index = col; index < raw.length; index += cols) squares += (raw[index] - mean) ** 2
    const std = Math.sqrt(squares / total)
    if (std > 0) {
      kept.push(col)
      means.push(mean)
      scales.push(1 / std)
    }
  }
  const projected = kept.length > maxDimensions
  const dimensions = projected ? maxDimensions : kept.length
  // A Gaussian random projection keeps pairwise distances within a small factor (Johnson–Lindenstrauss).
  const projection = projected
    ? Float64Array.from({ length: kept.length * dimensions }, () => rng.normal() / Math.sqrt(dimensions))
    : undefined
  const data = new Float64Array(total * dimensions)
  const standardised = new Float64Array(kept.length)
  for (let row = 0; row < total; row++) {
    for (let k = 0; k < kept.length; k++) standardised[k] = (raw[row * cols + kept[k]] - means[k]) * scales[k]
    const target = row * dimensions
    if (!projection) data.set(standardised, target)
    else
      for (let k = 0; k < kept.length; k++) {
        const value = standardised[k]
        for (let d = 0; d < dimensions; d++) data[target + d] += value * projection[k * dimensions + d]
      }
  }
  return { data, dimensions, projected }
}

function squaredDistance(data: Float64Array, dimensions: number, a: number, b: number): number {
  let sum = 0
  for (let d = 0; d < dimensions; d++) {
    const difference = data[a * dimensions + d] - data[b * dimensions + d]
    sum += difference * difference
  }
  return sum
}

/** Median pairwise squared distance over up to 200 rows of each side (each side is in random order). */
export function medianSquaredDistance(
  data: Float64Array,
  dimensions: number,
  referenceRows: number,
  rows: number,
): number {
  const perSide = BANDWIDTH_SAMPLE / 2
  const sample = [
    ...Array.from({ length: Math.min(perSide, referenceRows) }, (_, index) => index),
    ...Array.from({ length: Math.min(perSide, rows - referenceRows) }, (_, index) => referenceRows + index),
  ]
  const count = sample.length
  const distances = new Float64Array((count * (count - 1)) / 2)
  let index = 0
  for (let a = 1; a < count; a++) {
    let b = 0
    for (; b + 3 < a; b += 4, index += 4)
      squaredDistancesToFour(data, dimensions, sample, a, b, distances, index)
    for (; b < a; b++) distances[index++] = squaredDistance(data, dimensions, sample[a], sample[b])
  }
  return distances.length > 0 ? selectInPlace(distances, distances.length >> 1) : 0
}

/**
 * Squared distances of sample `a` to samples `b..b+3`, into `out[index..index+3]`: `a`'s values are read once for
 * the four sums, each summed in the order of one at a time, so the same bits as four `squaredDistance` calls.
 */
function squaredDistancesToFour(
  data: Float64Array,
  dimensions: number,
  sample: readonly number[],
  a: number,
  b: number,
  out: Float64Array,
  index: number,
): void {
  const origin = sample[a] * dimensions
  const o0 = sample[b] * dimensions
  const o1 = sample[b + 1] * dimensions
  const o2 = sample[b + 2] * dimensions
  const o3 = sample[b + 3] * dimensions
  let sum0 = 0
  let sum1 = 0
  let sum2 = 0
  let sum3 = 0
  for (let d = 0; d < dimensions; d++) {
    const value = data[origin + d]
    const d0 = value - data[o0 + d]
    const d1 = value - data[o1 + d]
    const d2 = value - data[o2 + d]
    const d3 = value - data[o3 + d]
    sum0 += d0 * d0
    sum1 += d1 * d1
    sum2 += d2 * d2
    sum3 += d3 * d3
  }
  out[index] = sum0
  out[index + 1] = sum1
  out[index + 2] = sum2
  out[index + 3] = sum3
}

/** Chunks of the within-sums work: bands of rows of about equal work, so two threads end together. */
const WITHIN_CHUNKS = 16

/**
 * Σ K_ij over ordered pairs i ≠ j inside each member list (each sorted ascending), per scale, for many lists at
 * once: the Gram matrix is read row by row, and each row, cached, serves every list that holds it. One list at a
 * time would stream the whole matrix from memory once per permutation. Bands of rows are chunks of `share`'s work;
 * each member row's sums are kept and added up afterwards in row order, so the result does not depend on which
 * thread did which band. Result: `sums[list * 4 + scale]`.
 */
export function withinSums(matrix: GramMatrix, lists: Int32Array[], share: WorkShare): Float64Array {
  const memberCount = lists[0]?.length ?? 0
  const members = new Int32Array(share.allocate(4 * memberCount * lists.length))
  for (let list = 0; list < lists.length; list++) members.set(lists[list], list * memberCount)
  const rowSums = new Float64Array(share.allocate(8 * members.length * SCALES))
  const { gram, rows } = matrix
  share.run({ kind: 'within', chunks: WITHIN_CHUNKS, gram, rows, members, memberCount, rowSums })
  const sums = new Float64Array(lists.length * SCALES)
  for (let list = 0; list < lists.length; list++)
    for (let member = list * memberCount; member < (list + 1) * memberCount; member++)
      for (let scale = 0; scale < SCALES; scale++)
        sums[list * SCALES + scale] += 2 * rowSums[member * SCALES + scale]
  return sums
}

/** The first row of a band: the work of rows 0 … a grows as a², so bands end at rows · √(chunk / chunks). */
function bandStart(rows: number, chunk: number, chunks: number): number {
  return Math.round(rows * Math.sqrt(chunk / chunks))
}

/** The position of the first member ≥ `row` in a sorted list. */
function firstAtOrAbove(members: Int32Array, row: number): number {
  let low = 0
  let high = members.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (members[middle] < row) low = middle + 1
    else high = middle
  }
  return low
}

/** One band of rows of the within-sums work: each member row's sum over the members before it, per scale. */
export function withinChunk(work: WithinWork, chunk: number): void {
  const { gram, rows, memberCount, rowSums, chunks } = work
  const first = bandStart(rows, chunk, chunks)
  const end = bandStart(rows, chunk + 1, chunks)
  const lists: Int32Array[] = []
  for (let start = 0; start < work.members.length; start += memberCount)
    lists.push(work.members.subarray(start, start + memberCount))
  const positions = Int32Array.from(lists, (members) => firstAtOrAbove(members, first))
  for (let a = first; a < end; a++) {
    const offset = triangleRow(a)
    for (let list = 0; list < lists.length; list++) {
      const members = lists[list]
      const position = positions[list]
      if (position >= members.length || members[position] !== a) continue
      let s1 = 0
      let s4 = 0
      let s16 = 0
      let s64 = 0
      for (let b = 0; b < position; b++) {
        const g = gram[offset + members[b]]
        const g4 = g * g * (g * g)
        const g16 = g4 * g4 * (g4 * g4)
        s1 += g
        s4 += g4
        s16 += g16
        s64 += g16 * g16 * (g16 * g16)
      }
      const target = (list * memberCount + position) * SCALES
      rowSums[target] = s1
      rowSums[target + 1] = s4
      rowSums[target + 2] = s16
      rowSums[target + 3] = s64
      positions[list] = position + 1
    }
  }
}

/**
 * Unbiased MMD² of a split of the pooled rows into `members` (size s) and the rest (size t), from the within-sum of
 * the members alone: their row sums give the cross sum, and the total gives the rest's within-sum.
 */
export function splitStatistic(
  within: number,
  members: Int32Array,
  matrix: GramMatrix,
  scale: number,
): number {
  const s = members.length
  const t = matrix.rows - s
  const total = matrix.totals[scale]
  let memberRowSums = 0
  for (const member of members) memberRowSums += matrix.rowSums[member * SCALES + scale]
  const cross = memberRowSums - within
  const rest = total - within - 2 * cross
  return within / (s * (s - 1)) + rest / (t * (t - 1)) - (2 * cross) / (s * t)
}

/** `count` random member lists of size `memberCount` from `rows`, each sorted; list 0 is the observed split. */
export function memberLists(
  rows: number,
  memberCount: number,
  firstMember: number,
  count: number,
  rng: Rng,
): Int32Array[] {
  const lists = [Int32Array.from({ length: memberCount }, (_, index) => firstMember + index)]
  const order = Int32Array.from({ length: rows }, (_, index) => index)
  for (let list = 0; list < count; list++) {
    for (let index = 0; index < memberCount; index++) {
      const swap = index + rng.int(rows - index)
      const held = order[index]
      order[index] = order[swap]
      order[swap] = held
    }
    lists.push(order.slice(0, memberCount).sort())
  }
  return lists
}
