/**
 * Benjamini–Hochberg adjusted p-values (q-values), in input order: rejecting every test with q ≤ α keeps the
 * expected share of false discoveries at most α for independent or positively dependent tests.
 * @see Benjamini & Hochberg (1995), Controlling the false discovery rate, JRSS B 57(1).
 */
export function benjaminiHochberg(pValues: ArrayLike<number>): Float64Array {
  const count = pValues.length
  // A test that could not compute a p-value never counts as a discovery.
  const p = Float64Array.from({ length: count }, (_, index) =>
    Number.isNaN(pValues[index]) ? 1 : pValues[index],
  )
  const order = Array.from({ length: count }, (_, index) => index).sort((a, b) => p[a] - p[b])
  const adjusted = new Float64Array(count)
  let running = 1
  for (let rank = count; rank >= 1; rank--) {
    const index = order[rank - 1]
    running = Math.min(running, (p[index] * count) / rank)
    adjusted[index] = running
  }
  return adjusted
}

/**
 * Holm's step-down adjusted p-values, in input order: rejecting every test with adjusted p ≤ α keeps the chance
 * of any false rejection at most α under any dependence.
 * @see Holm (1979), A simple sequentially rejective multiple test procedure, Scand. J. Statist. 6(2).
 */
export function holmAdjust(pValues: ArrayLike<number>): Float64Array {
  const count = pValues.length
  const p = Float64Array.from({ length: count }, (_, index) =>
    Number.isNaN(pValues[index]) ? 1 : pValues[index],
  )
  const order = Array.from({ length: count }, (_, index) => index).sort((a, b) => p[a] - p[b])
  const adjusted = new Float64Array(count)
  let running = 0
  order.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (count - rank) * p[index]))
    adjusted[index] = running
  })
  return adjusted
}
