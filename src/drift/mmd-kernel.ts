import type { FeatureMatrix } from '../data/matrix.js'
import { selectInPlace } from '../stats/quantiles.js'
import { type Rng, shuffledIndices } from '../util/rng.js'

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
  for (let a = 1; a < count; a++)
    for (let b = 0; b < a; b++) distances[index++] = squaredDistance(data, dimensions, sample[a], sample[b])
  return distances.length > 0 ? selectInPlace(distances, distances.length >> 1) : 0
}

/** Each bandwidth σ·2^−j turns a kernel value g at σ into g^(4^j), so one Gram matrix serves every scale. */
export const KERNEL_EXPONENTS = [1, 4, 16, 64] as const
export const BANDWIDTH_SCALES = [1, 0.5, 0.25, 0.125] as const
const SCALES = KERNEL_EXPONENTS.length

export interface GramMatrix {
  /** Strict lower triangle of the Gaussian kernel at the base bandwidth, packed: row a starts at `triangleRow(a)`. */
  readonly gram: Float32Array
  readonly rows: number
  /** Row sums of the full symmetric matrix without its diagonal, per scale: `rowSums[row * 4 + scale]`. */
  readonly rowSums: Float64Array
  /** Sum of all off-diagonal entries, per scale. */
  readonly totals: Float64Array
}

/** Where row `row` of a packed strict lower triangle starts: rows 0 … row − 1 hold 0 … row − 1 entries. */
export function triangleRow(row: number): number {
  return (row * (row - 1)) / 2
}

/**
 * The strict lower triangle of the Gaussian Gram matrix and each row's sum over the full symmetric matrix without
 * its diagonal (the unbiased statistic leaves i = j out), at every bandwidth scale. Only the triangle is stored,
 * packed, so 4,000 rows take 32 MB rather than 64. Rows are computed in pairs against four rows at a time: each
 * loaded value then serves four or two products, and every entry still sums its products in the same order.
 */
export function gramMatrix(
  data: Float64Array,
  dimensions: number,
  rows: number,
  squaredBandwidth: number,
): GramMatrix {
  const gram = new Float32Array(triangleRow(rows))
  const scale = -1 / (2 * squaredBandwidth)
  const norms = new Float64Array(rows)
  for (let row = 0; row < rows; row++) {
    let sum = 0
    for (let d = row * dimensions; d < (row + 1) * dimensions; d++) sum += data[d] * data[d]
    norms[row] = sum
  }
  let a = 1
  for (; a + 1 < rows; a += 2) gramRowPair(gram, data, dimensions, norms, scale, a)
  if (a < rows) gramRow(gram, data, dimensions, norms, scale, a, 0)
  const { rowSums, totals } = kernelRowSums(gram, rows)
  return { gram, rows, rowSums, totals }
}

function kernel(scale: number, squared: number): number {
  return Math.exp(scale * Math.max(squared, 0))
}

/** Entries `from` … a − 1 of row a, one dot product at a time. */
function gramRow(
  gram: Float32Array,
  data: Float64Array,
  dimensions: number,
  norms: Float64Array,
  scale: number,
  a: number,
  from: number,
): void {
  const offsetA = a * dimensions
  const target = triangleRow(a)
  for (let b = from; b < a; b++) {
    const offsetB = b * dimensions
    let dot = 0
    for (let d = 0; d < dimensions; d++) dot += data[offsetA + d] * data[offsetB + d]
    gram[target + b] = kernel(scale, norms[a] + norms[b] - 2 * dot)
  }
}

/** Rows a and a + 1 against rows 0 … a − 1, four at a time; then the rest of both rows. */
function gramRowPair(
  gram: Float32Array,
  data: Float64Array,
  dimensions: number,
  norms: Float64Array,
  scale: number,
  a: number,
): void {
  const offsetA = a * dimensions
  const offsetN = offsetA + dimensions
  const normA = norms[a]
  const normN = norms[a + 1]
  const targetA = triangleRow(a)
  const targetN = triangleRow(a + 1)
  let b = 0
  for (; b + 3 < a; b += 4) {
    const o0 = b * dimensions
    const o1 = o0 + dimensions
    const o2 = o1 + dimensions
    const o3 = o2 + dimensions
    let a0 = 0
    let a1 = 0
    let a2 = 0
    let a3 = 0
    let n0 = 0
    let n1 = 0
    let n2 = 0
    let n3 = 0
    for (let d = 0; d < dimensions; d++) {
      const valueA = data[offsetA + d]
      const valueN = data[offsetN + d]
      const b0 = data[o0 + d]
      const b1 = data[o1 + d]
      const b2 = data[o2 + d]
      const b3 = data[o3 + d]
      a0 += valueA * b0
      a1 += valueA * b1
      a2 += valueA * b2
      a3 += valueA * b3
      n0 += valueN * b0
      n1 += valueN * b1
      n2 += valueN * b2
      n3 += valueN * b3
    }
    gram[targetA + b] = kernel(scale, normA + norms[b] - 2 * a0)
    gram[targetA + b + 1] = kernel(scale, normA + norms[b + 1] - 2 * a1)
    gram[targetA + b + 2] = kernel(scale, normA + norms[b + 2] - 2 * a2)
    gram[targetA + b + 3] = kernel(scale, normA + norms[b + 3] - 2 * a3)
    gram[targetN + b] = kernel(scale, normN + norms[b] - 2 * n0)
    gram[targetN + b + 1] = kernel(scale, normN + norms[b + 1] - 2 * n1)
    gram[targetN + b + 2] = kernel(scale, normN + norms[b + 2] - 2 * n2)
    gram[targetN + b + 3] = kernel(scale, normN + norms[b + 3] - 2 * n3)
  }
  gramRow(gram, data, dimensions, norms, scale, a, b)
  gramRow(gram, data, dimensions, norms, scale, a + 1, b)
}

/** Row sums of the symmetric matrix (from its lower triangle) at every scale, and their totals. */
function kernelRowSums(gram: Float32Array, rows: number): { rowSums: Float64Array; totals: Float64Array } {
  const rowSums = new Float64Array(rows * SCALES)
  for (let a = 1; a < rows; a++) {
    const offset = triangleRow(a)
    let s1 = 0
    let s4 = 0
    let s16 = 0
    let s64 = 0
    for (let b = 0; b < a; b++) {
      const g = gram[offset + b]
      const g4 = g * g * (g * g)
      const g16 = g4 * g4 * (g4 * g4)
      const g64 = g16 * g16 * (g16 * g16)
      s1 += g
      s4 += g4
      s16 += g16
      s64 += g64
      const column = b * SCALES
      rowSums[column] += g
      rowSums[column + 1] += g4
      rowSums[column + 2] += g16
      rowSums[column + 3] += g64
    }
    rowSums[a * SCALES] += s1
    rowSums[a * SCALES + 1] += s4
    rowSums[a * SCALES + 2] += s16
    rowSums[a * SCALES + 3] += s64
  }
  const totals = new Float64Array(SCALES)
  for (let row = 0; row < rows; row++) for (let s = 0; s < SCALES; s++) totals[s] += rowSums[row * SCALES + s]
  return { rowSums, totals }
}

/**
 * Σ K_ij over ordered pairs i ≠ j inside each member list (each sorted ascending), per scale, for many lists at
 * once: the Gram matrix is read row by row, and each row, cached, serves every list that holds it. One list at a
 * time would stream the whole matrix from memory once per permutation. Result: `sums[list * 4 + scale]`.
 */
export function withinSums(matrix: GramMatrix, lists: Int32Array[]): Float64Array {
  const { gram, rows } = matrix
  const sums = new Float64Array(lists.length * SCALES)
  const positions = new Int32Array(lists.length)
  for (let a = 0; a < rows; a++) {
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
      sums[list * SCALES] += 2 * s1
      sums[list * SCALES + 1] += 2 * s4
      sums[list * SCALES + 2] += 2 * s16
      sums[list * SCALES + 3] += 2 * s64
      positions[list] = position + 1
    }
  }
  return sums
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
