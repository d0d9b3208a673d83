/**
 * A one-dimensional sample as a sorted, optionally weighted list of values: exact samples have unit weights,
 * quantile sketches hand over their retained items with weights. `count` is the number of observations behind
 * it (what p-values use); `totalWeight` the sum of weights (equal to `count` for exact samples).
 */
export interface EmpiricalDistribution {
  readonly values: Float64Array
  /** Weight of each value; absent means every value weighs 1. */
  readonly weights?: Float64Array
  readonly totalWeight: number
  readonly count: number
  /** Largest error in the CDF from summarising (0 for exact samples). */
  readonly rankError: number
}

/** Sorts a copy of the finite values (NaN and infinities are dropped) into an exact empirical distribution. */
export function empiricalDistribution(values: ArrayLike<number>): EmpiricalDistribution {
  const sorted = new Float64Array(values.length)
  let kept = 0
  for (let index = 0; index < values.length; index++) {
    const value = values[index]
    if (Number.isFinite(value)) sorted[kept++] = value
  }
  const finite = kept === values.length ? sorted : sorted.slice(0, kept)
  finite.sort()
  return { values: finite, totalWeight: kept, count: kept, rankError: 0 }
}

/** Column `col` of a row-major matrix as an exact empirical distribution. */
export function columnDistribution(
  data: Float32Array,
  cols: number,
  col: number,
  rows?: ArrayLike<number>,
): EmpiricalDistribution {
  const rowCount = rows ? rows.length : data.length / cols
  const values = new Float32Array(rowCount)
  let kept = 0
  for (let index = 0; index < rowCount; index++) {
    const value = data[(rows ? rows[index] : index) * cols + col]
    if (Number.isFinite(value)) values[kept++] = value
  }
  const sorted = radixSortFloat32(values.subarray(0, kept))
  return { values: sorted, totalWeight: kept, count: kept, rankError: 0 }
}

const RADIX_BITS = 11
const RADIX_MASK = (1 << RADIX_BITS) - 1

/**
 * Sorts finite float32 values ascending into doubles: a least-significant-digit radix sort on their bit patterns
 * mapped to an unsigned order (three passes of 11 bits), two to three times faster than a comparison sort, and
 * columns are sorted by the hundred in a drift check.
 */
function radixSortFloat32(values: Float32Array): Float64Array {
  const count = values.length
  const bits = new Uint32Array(values.buffer, values.byteOffset, count)
  let keys = new Uint32Array(count)
  // Negative floats order by their inverted bits; positive ones above all of them, with the sign bit set.
  for (let index = 0; index < count; index++) {
    const pattern = bits[index]
    keys[index] = pattern & 0x80000000 ? ~pattern >>> 0 : (pattern | 0x80000000) >>> 0
  }
  let spare = new Uint32Array(count)
  const buckets = new Uint32Array(RADIX_MASK + 1)
  for (let shift = 0; shift < 32; shift += RADIX_BITS) {
    buckets.fill(0)
    for (let index = 0; index < count; index++) buckets[(keys[index] >>> shift) & RADIX_MASK]++
    let start = 0
    for (let bucket = 0; bucket <= RADIX_MASK; bucket++) {
      const size = buckets[bucket]
      buckets[bucket] = start
      start += size
    }
    for (let index = 0; index < count; index++) {
      const key = keys[index]
      spare[buckets[(key >>> shift) & RADIX_MASK]++] = key
    }
    const held = keys
    keys = spare
    spare = held
  }
  const sorted = new Float64Array(count)
  const scratch = new Uint32Array(1)
  const asFloat = new Float32Array(scratch.buffer)
  for (let index = 0; index < count; index++) {
    const key = keys[index]
    scratch[0] = key & 0x80000000 ? key & 0x7fffffff : ~key >>> 0
    sorted[index] = asFloat[0]
  }
  return sorted
}

function weightAt(distribution: EmpiricalDistribution, index: number): number {
  return distribution.weights ? distribution.weights[index] : 1
}

/**
 * Walks both distributions in value order and calls `visit(value, nextValue, cdfA, cdfB)` after each distinct
 * value, with both CDFs evaluated just after it (ties in either sample are consumed together).
 */
export function walkCdfs(
  a: EmpiricalDistribution,
  b: EmpiricalDistribution,
  visit: (value: number, nextValue: number, cdfA: number, cdfB: number) => void,
): void {
  const va = a.values
  const vb = b.values
  let ia = 0
  let ib = 0
  let weightA = 0
  let weightB = 0
  while (ia < va.length || ib < vb.length) {
    const value = ib >= vb.length || (ia < va.length && va[ia] <= vb[ib]) ? va[ia] : vb[ib]
    while (ia < va.length && va[ia] === value) weightA += weightAt(a, ia++)
    while (ib < vb.length && vb[ib] === value) weightB += weightAt(b, ib++)
    const nextA = ia < va.length ? va[ia] : Number.POSITIVE_INFINITY
    const nextB = ib < vb.length ? vb[ib] : Number.POSITIVE_INFINITY
    visit(value, Math.min(nextA, nextB), weightA / a.totalWeight, weightB / b.totalWeight)
  }
}

/** The value at cumulative probability `probability` in [0,1] (lower quantile, no interpolation). */
export function quantileOf(distribution: EmpiricalDistribution, probability: number): number {
  const { values, totalWeight } = distribution
  if (values.length === 0) return Number.NaN
  if (!distribution.weights) {
    const index = Math.min(values.length - 1, Math.max(0, Math.ceil(probability * values.length) - 1))
    return values[index]
  }
  const target = probability * totalWeight
  let cumulative = 0
  for (let index = 0; index < values.length; index++) {
    cumulative += distribution.weights[index]
    if (cumulative >= target) return values[index]
  }
  return values[values.length - 1]
}

/** Quantiles at evenly spaced probabilities 0, 1/(points−1), …, 1: a compact CDF curve for plots. */
export function quantileCurve(distribution: EmpiricalDistribution, points: number): number[] {
  return Array.from({ length: points }, (_, index) => quantileOf(distribution, index / (points - 1)))
}

/** Weighted mean and standard deviation. */
export function moments(distribution: EmpiricalDistribution): { mean: number; std: number } {
  const { values, totalWeight } = distribution
  let sum = 0
  for (let index = 0; index < values.length; index++) sum += weightAt(distribution, index) * values[index]
  const mean = sum / totalWeight
  let squares = 0
  for (let index = 0; index < values.length; index++) {
    const deviation = values[index] - mean
    squares += weightAt(distribution, index) * deviation * deviation
  }
  return { mean, std: Math.sqrt(squares / totalWeight) }
}
