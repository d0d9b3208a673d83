/**
 * Chernoff bound on `P(X ≥ observed)` for a sum of independent Bernoulli variables with mean `expected`
 * (the Poisson tail bound, valid for any mix of probabilities), as a natural log.
 */
export function logTailBound(observed: number, expected: number): number {
  if (observed <= expected) return 0
  const safeExpected = Math.max(expected, 1e-12)
  return -(observed * Math.log(observed / safeExpected) - observed + safeExpected)
}
