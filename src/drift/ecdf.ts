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
  for (let index = 0; index < rowCount; index++)
    values[index] = data[(rows ? rows[index] : index) * cols + col]
  return sortedDistribution(values, createSortScratch(rowCount))
}

/** Key buffers of the radix sort, kept across the columns of one summary so each column does not allocate them. */
export interface SortScratch {
  keys: Uint32Array
  spare: Uint32Array
  buckets: Uint32Array
  /** Second buffer of the rows that travel with the keys, when a sort keeps them. */
  spareRows?: Int32Array
}

export function createSortScratch(capacity: number): SortScratch {
  return {
    keys: new Uint32Array(capacity),
    spare: new Uint32Array(capacity),
    buckets: new Uint32Array(RADIX_PASSES * RADIX_SIZE),
  }
}

/**
 * `sortedDistribution`, plus the row of `column` each sorted value came from: with them the sorted sample of any
 * subset of the rows is one filtering walk, no sort.
 */
export function sortedDistributionWithRows(
  column: Float32Array,
  scratch: SortScratch,
): { distribution: EmpiricalDistribution; rows: Int32Array } {
  const rows = new Int32Array(column.length)
  let kept = 0
  for (let index = 0; index < column.length; index++) {
    const value = column[index]
    if (!Number.isFinite(value)) continue
    rows[kept] = index
    column[kept++] = value
  }
  scratch.spareRows ??= new Int32Array(scratch.keys.length)
  const sortedRows = rows.subarray(0, kept)
  const sorted = radixSortFloat32(column.subarray(0, kept), scratch, sortedRows)
  const distribution = { values: sorted, totalWeight: kept, count: kept, rankError: 0 }
  return { distribution, rows: kept === column.length ? rows : rows.slice(0, kept) }
}

/**
 * The exact sorted sample of the rows marked in `member` (`memberCount` of them), from a sorted sample of all rows
 * and the row of each of its values: the same values `sortedDistribution` gives for those rows, in one walk.
 */
export function memberDistribution(
  sorted: EmpiricalDistribution,
  rows: Int32Array,
  member: Uint8Array,
  memberCount: number,
): EmpiricalDistribution {
  const values = sorted.values
  // Every value is written and only members move the cursor on: members are scattered through the sorted order,
  // and a branch on each would be mispredicted about as often as not. The spare last slot takes the final write.
  const picked = new Float64Array(memberCount + 1)
  let kept = 0
  for (let index = 0; index < values.length; index++) {
    picked[kept] = values[index]
    kept += member[rows[index]]
  }
  return { values: picked.subarray(0, kept), totalWeight: kept, count: kept, rankError: 0 }
}

/**
 * An exact empirical distribution of the finite values of `column`, a buffer the caller no longer needs: its
 * finite values are moved to its front, and `scratch` must hold at least `column.length` keys.
 */
export function sortedDistribution(column: Float32Array, scratch: SortScratch): EmpiricalDistribution {
  let kept = 0
  for (let index = 0; index < column.length; index++) {
    const value = column[index]
    if (Number.isFinite(value)) column[kept++] = value
  }
  const sorted = radixSortFloat32(column.subarray(0, kept), scratch)
  return { values: sorted, totalWeight: kept, count: kept, rankError: 0 }
}

const RADIX_BITS = 11
const RADIX_SIZE = 1 << RADIX_BITS
const RADIX_MASK = RADIX_SIZE - 1
const RADIX_PASSES = 3

/**
 * Sorts finite float32 values ascending into doubles: a least-significant-digit radix sort on their bit patterns
 * mapped to an unsigned order (three passes of 11 bits), two to three times faster than a comparison sort, and
 * columns are sorted by the hundred in a drift check. One read fills all three histograms, and a digit every value
 * shares (the high bits of a column of small counts or of one sign and magnitude) costs no pass at all. `rows`, when
 * given, are permuted along with the values.
 */
function radixSortFloat32(values: Float32Array, scratch: SortScratch, rows?: Int32Array): Float64Array {
  const count = values.length
  const bits = new Uint32Array(values.buffer, values.byteOffset, count)
  let keys = scratch.keys
  let spare = scratch.spare
  let payload = rows
  let sparePayload = scratch.spareRows
  const buckets = scratch.buckets.fill(0)
  // Negative floats order by their inverted bits; positive ones above all of them, with the sign bit set. The sign,
  // spread over the word, picks the mask without a branch: columns of both signs would mispredict half the time.
  for (let index = 0; index < count; index++) {
    const pattern = bits[index]
    const key = (pattern ^ ((pattern >> 31) | 0x80000000)) >>> 0
    keys[index] = key
    buckets[key & RADIX_MASK]++
    buckets[RADIX_SIZE + ((key >>> RADIX_BITS) & RADIX_MASK)]++
    buckets[2 * RADIX_SIZE + (key >>> (2 * RADIX_BITS))]++
  }
  for (let pass = 0; pass < RADIX_PASSES; pass++) {
    const base = pass * RADIX_SIZE
    const shift = pass * RADIX_BITS
    if (count === 0 || buckets[base + ((keys[0] >>> shift) & RADIX_MASK)] === count) continue
    let start = 0
    for (let bucket = base; bucket < base + RADIX_SIZE; bucket++) {
      const size = buckets[bucket]
      buckets[bucket] = start
      start += size
    }
    if (payload && sparePayload) {
      for (let index = 0; index < count; index++) {
        const key = keys[index]
        const slot = buckets[base + ((key >>> shift) & RADIX_MASK)]++
        spare[slot] = key
        sparePayload[slot] = payload[index]
      }
      const heldPayload = payload
      payload = sparePayload
      sparePayload = heldPayload
    } else {
      for (let index = 0; index < count; index++) {
        const key = keys[index]
        spare[buckets[base + ((key >>> shift) & RADIX_MASK)]++] = key
      }
    }
    const held = keys
    keys = spare
    spare = held
  }
  if (rows && payload !== rows) rows.set(payload!.subarray(0, count))
  // Back to float bits in place, then one widening copy.
  for (let index = 0; index < count; index++) {
    const key = keys[index]
    keys[index] = key ^ (~(key >> 31) | 0x80000000)
  }
  const sorted = new Float64Array(count)
  sorted.set(new Float32Array(keys.buffer, keys.byteOffset, count))
  return sorted
}

/** How two distributions differ along the value axis; larger = more different. */
export interface CdfComparison {
  /** sup |F_A − F_B| in [0,1]: the Kolmogorov–Smirnov statistic. */
  maxDifference: number
  /** Value at which the CDFs differ most. */
  location: number
  /** +1 when A's CDF is above B's there (A has more mass below), −1 otherwise. */
  sign: 1 | -1
  /** ∫ |F_A − F_B| dx in the units of the values: the Wasserstein-1 distance; NaN when a side is empty. */
  area: number
}

/** Moves `run.end` past the values equal to `values[start]` and adds their weight to `run.weight`. */
export function consumeRun(
  distribution: EmpiricalDistribution,
  start: number,
  run: { end: number; weight: number },
): void {
  const { values, weights } = distribution
  const value = values[start]
  let index = start
  let weight = run.weight
  if (weights) while (index < values.length && values[index] === value) weight += weights[index++]
  else {
    while (index < values.length && values[index] === value) index++
    weight += index - start
  }
  run.end = index
  run.weight = weight
}

/**
 * Walks both distributions once in value order, evaluating both CDFs just after each distinct value (ties in
 * either sample consumed together), and returns the largest gap between them and the area between them.
 */
export function compareCdfs(a: EmpiricalDistribution, b: EmpiricalDistribution): CdfComparison {
  if (!a.weights && !b.weights) return compareUnitCdfs(a, b)
  const va = a.values
  const vb = b.values
  const runA = { end: 0, weight: 0 }
  const runB = { end: 0, weight: 0 }
  let maxDifference = 0
  let location = Number.NaN
  let sign: 1 | -1 = 1
  let area = 0
  while (runA.end < va.length || runB.end < vb.length) {
    const ia = runA.end
    const ib = runB.end
    const value = ib >= vb.length || (ia < va.length && va[ia] <= vb[ib]) ? va[ia] : vb[ib]
    if (ia < va.length && va[ia] === value) consumeRun(a, ia, runA)
    if (ib < vb.length && vb[ib] === value) consumeRun(b, ib, runB)
    const difference = runA.weight / a.totalWeight - runB.weight / b.totalWeight
    const gap = Math.abs(difference)
    if (gap > maxDifference) {
      maxDifference = gap
      location = value
      sign = difference > 0 ? 1 : -1
    }
    const nextA = runA.end < va.length ? va[runA.end] : Number.POSITIVE_INFINITY
    const nextB = runB.end < vb.length ? vb[runB.end] : Number.POSITIVE_INFINITY
    const next = Math.min(nextA, nextB)
    if (Number.isFinite(next)) area += gap * (next - value)
  }
  const empty = a.totalWeight === 0 || b.totalWeight === 0
  return { maxDifference, location, sign, area: empty ? Number.NaN : area }
}

/**
 * `compareCdfs` of two exact samples: with unit weights a side's cumulative weight is its position, so the walk
 * keeps two indices instead of run objects (most of the check's CPU goes into these walks). A side's CDF is divided
 * out only when that side moves (one division per step, not two), and the next value, found for the area, is the
 * following step's value. Same arithmetic, same result.
 */
function compareUnitCdfs(a: EmpiricalDistribution, b: EmpiricalDistribution): CdfComparison {
  const va = a.values
  const vb = b.values
  const na = va.length
  const nb = vb.length
  const totalA = a.totalWeight
  const totalB = b.totalWeight
  let ia = 0
  let ib = 0
  // 0 / 0 for an empty side, as the position over the total would give.
  let cdfA = 0 / totalA
  let cdfB = 0 / totalB
  let maxDifference = 0
  let location = Number.NaN
  let sign: 1 | -1 = 1
  let area = 0
  let value = na > 0 && (nb === 0 || va[0] <= vb[0]) ? va[0] : vb[0]
  while (ia < na || ib < nb) {
    if (ia < na && va[ia] === value) {
      do ia++
      while (ia < na && va[ia] === value)
      cdfA = ia / totalA
    }
    if (ib < nb && vb[ib] === value) {
      do ib++
      while (ib < nb && vb[ib] === value)
      cdfB = ib / totalB
    }
    const difference = cdfA - cdfB
    const gap = Math.abs(difference)
    if (gap > maxDifference) {
      maxDifference = gap
      location = value
      sign = difference > 0 ? 1 : -1
    }
    let next: number
    if (ia < na) next = ib < nb && vb[ib] < va[ia] ? vb[ib] : va[ia]
    else if (ib < nb) next = vb[ib]
    else break
    area += gap * (next - value)
    value = next
  }
  const empty = totalA === 0 || totalB === 0
  return { maxDifference, location, sign, area: empty ? Number.NaN : area }
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
  const { values, weights, totalWeight } = distribution
  // Unit weights get their own loops: a multiply by 1 per value is the most of this function's time.
  let sum = 0
  if (weights) for (let index = 0; index < values.length; index++) sum += weights[index] * values[index]
  else for (let index = 0; index < values.length; index++) sum += values[index]
  const mean = sum / totalWeight
  let squares = 0
  if (weights)
    for (let index = 0; index < values.length; index++) {
      const deviation = values[index] - mean
      squares += weights[index] * deviation * deviation
    }
  else
    for (let index = 0; index < values.length; index++) {
      const deviation = values[index] - mean
      squares += deviation * deviation
    }
  return { mean, std: Math.sqrt(squares / totalWeight) }
}
