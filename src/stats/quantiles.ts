/**
 * How a quantile between two order statistics is read (NumPy's `method`): `linear` interpolates, `lower` and
 * `higher` take the order statistic below or above, so the result is always one of the values.
 */
export type QuantileMethod = 'linear' | 'lower' | 'higher'

/**
 * The quantile at `probability` in [0,1] of values sorted ascending, at position `probability · (count − 1)`
 * (NumPy's and R's default, type 7, for `linear`); NaN for no values.
 */
export function quantileSorted(
  sorted: ArrayLike<number>,
  probability: number,
  method: QuantileMethod = 'linear',
): number {
  if (sorted.length === 0) return Number.NaN
  const position = probability * (sorted.length - 1)
  const below = Math.floor(position)
  const above = Math.min(sorted.length - 1, Math.ceil(position))
  if (method === 'lower') return sorted[below]
  if (method === 'higher') return sorted[above]
  return sorted[below] + (position - below) * (sorted[above] - sorted[below])
}

/** Median of some numbers, the mean of the middle two for an even count (0 when there are none). */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return 0
  const sorted = Float64Array.from(values).sort()
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** The k-th smallest value (0-based), partially reordering `values` (Hoare's quickselect, linear on average). */
export function selectInPlace(values: Float64Array, k: number): number {
  let low = 0
  let high = values.length - 1
  while (high > low) {
    const pivot = values[(low + high) >> 1]
    let i = low
    let j = high
    while (i <= j) {
      while (values[i] < pivot) i++
      while (values[j] > pivot) j--
      if (i <= j) {
        const held = values[i]
        values[i++] = values[j]
        values[j--] = held
      }
    }
    if (k <= j) high = j
    else if (k >= i) low = i
    else return values[k]
  }
  return values[k]
}
