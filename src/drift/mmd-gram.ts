/* The Gaussian Gram matrix of the MMD test, one matrix for every bandwidth scale. */
import type { GramWork, WorkShare } from './mmd-work.js'

/** Each bandwidth σ·2^−j turns a kernel value g at σ into g^(4^j), so one Gram matrix serves every scale. */
const KERNEL_EXPONENTS = [1, 4, 16, 64] as const
export const BANDWIDTH_SCALES = [1, 0.5, 0.25, 0.125] as const
export const SCALES = KERNEL_EXPONENTS.length

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

/** Row pairs per chunk of the Gram work: about a hundred chunks at 4,000 rows, so two threads end together. */
const PAIRS_PER_CHUNK = 16

/** Units of the Gram work: the row pairs (a, a + 1) with a odd, then the last row alone when no pair took it. */
function gramUnits(rows: number): { pairs: number; units: number } {
  const pairs = Math.max(0, Math.floor((rows - 1) / 2))
  return { pairs, units: pairs + (2 * pairs + 1 < rows ? 1 : 0) }
}

/**
 * The strict lower triangle of the Gaussian Gram matrix and each row's sum over the full symmetric matrix without
 * its diagonal (the unbiased statistic leaves i = j out), at every bandwidth scale. Only the triangle is stored,
 * packed, so 4,000 rows take 32 MB rather than 64. Rows are computed in pairs against four rows at a time: each
 * loaded value then serves four or two products, and every entry still sums its products in the same order, on
 * whichever thread of `share` computes it.
 */
export function gramMatrix(
  data: Float64Array,
  dimensions: number,
  rows: number,
  squaredBandwidth: number,
  share: WorkShare,
): GramMatrix {
  const gram = new Float32Array(share.allocate(4 * triangleRow(rows)))
  const norms = new Float64Array(share.allocate(8 * rows))
  for (let row = 0; row < rows; row++) {
    let sum = 0
    for (let d = row * dimensions; d < (row + 1) * dimensions; d++) sum += data[d] * data[d]
    norms[row] = sum
  }
  const pooled = new Float64Array(share.allocate(data.byteLength))
  pooled.set(data)
  share.run({
    kind: 'gram',
    chunks: Math.ceil(gramUnits(rows).units / PAIRS_PER_CHUNK),
    data: pooled,
    dimensions,
    rows,
    norms,
    scale: -1 / (2 * squaredBandwidth),
    gram,
  })
  const { rowSums, totals } = kernelRowSums(gram, rows)
  return { gram, rows, rowSums, totals }
}

/** One chunk of the Gram work: the units of the largest rows first, so that the last chunks taken are small. */
export function gramChunk(work: GramWork, chunk: number): void {
  const { gram, data, dimensions, norms, scale, rows } = work
  const { pairs, units } = gramUnits(rows)
  const last = units - chunk * PAIRS_PER_CHUNK
  for (let unit = Math.max(0, last - PAIRS_PER_CHUNK); unit < last; unit++) {
    if (unit < pairs) gramRowPair(gram, data, dimensions, norms, scale, 2 * unit + 1)
    else gramRow(gram, data, dimensions, norms, scale, 2 * unit + 1, 0)
  }
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
