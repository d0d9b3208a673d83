import { kolmogorovSurvival } from '../stats/tails.js'
import { compareCdfs, type EmpiricalDistribution } from './ecdf.js'

export type KsMethod = 'auto' | 'exact' | 'asymptotic'

export interface KsOptions {
  /** `auto` (default) is exact when both samples are exact and `countA · countB ≤ exactMaxProduct`. */
  method?: KsMethod
  /** Largest product of sample sizes for which `auto` uses the exact distribution; default 1,000,000. */
  exactMaxProduct?: number
}

export interface KsResult {
  /** sup |F_A − F_B| in [0,1]; larger = more different. */
  statistic: number
  pValue: number
  method: 'exact' | 'asymptotic'
  /** Value at which the CDFs differ most. */
  location: number
  /** +1 when A's CDF is above B's there (A has more mass below), −1 otherwise. */
  sign: 1 | -1
}

const DEFAULT_EXACT_MAX_PRODUCT = 1_000_000

/** The two-sample Kolmogorov–Smirnov statistic with where and in which direction the CDFs differ most. */
export function ksStatistic(
  a: EmpiricalDistribution,
  b: EmpiricalDistribution,
): Pick<KsResult, 'statistic' | 'location' | 'sign'> {
  const { maxDifference, location, sign } = compareCdfs(a, b)
  return { statistic: maxDifference, location, sign }
}

/**
 * Exact P(D ≥ d) for continuous data: the probability that a uniformly random lattice path from (0,0) to (m,n),
 * the merge order of the two samples, ever leaves the band |i/m − j/n| < d. The path is walked forward as a
 * draw without replacement, so every number stays a probability and the exiting mass is summed directly,
 * which keeps tiny p-values accurate instead of computing 1 − (a number close to 1).
 */
export function ksExactPValue(statistic: number, m: number, n: number): number {
  if (statistic <= 0) return 1
  // d·m·n is an integer for any attainable d; compare in integers to avoid rounding at the band edge.
  const threshold = Math.round(statistic * m * n)
  const outside = (i: number, j: number) => Math.abs(i * n - j * m) >= threshold
  let current = new Float64Array(n + 1)
  let next = new Float64Array(n + 1)
  current[0] = 1
  let exited = 0
  for (let i = 0; i <= m; i++) {
    next.fill(0)
    for (let j = 0; j <= n; j++) {
      const mass = current[j]
      if (mass === 0) continue
      const remaining = m + n - i - j
      if (remaining === 0) continue
      if (j < n) {
        // Stepping along the same row stays within this pass, so it is added before cell j + 1 is read.
        const flow = (mass * (n - j)) / remaining
        if (outside(i, j + 1)) exited += flow
        else current[j + 1] += flow
      }
      if (i < m) {
        const flow = (mass * (m - i)) / remaining
        if (outside(i + 1, j)) exited += flow
        else next[j] += flow
      }
    }
    const swap = current
    current = next
    next = swap
  }
  return Math.min(1, exited)
}

/** Asymptotic P(D ≥ d) from the Kolmogorov distribution with Stephens' small-sample correction. */
export function ksAsymptoticPValue(statistic: number, m: number, n: number): number {
  const effective = Math.sqrt((m * n) / (m + n))
  return kolmogorovSurvival((effective + 0.12 + 0.11 / effective) * statistic)
}

/**
 * Two-sided two-sample Kolmogorov–Smirnov test. Summarised (sketch) inputs use the asymptotic p-value with the
 * statistic reduced by both summaries' rank errors, so sketching never makes the test more eager to alarm.
 */
export function ksTest(
  a: EmpiricalDistribution,
  b: EmpiricalDistribution,
  options: KsOptions = {},
): KsResult {
  const { statistic, location, sign } = ksStatistic(a, b)
  return { statistic, location, sign, ...ksPValue(statistic, a, b, options) }
}

/** The p-value of a KS statistic already measured between `a` and `b` (e.g. by `compareCdfs`). */
export function ksPValue(
  statistic: number,
  a: EmpiricalDistribution,
  b: EmpiricalDistribution,
  options: KsOptions = {},
): Pick<KsResult, 'pValue' | 'method'> {
  const m = a.count
  const n = b.count
  if (m === 0 || n === 0) return { pValue: 1, method: 'asymptotic' }
  const summarised = a.rankError > 0 || b.rankError > 0 || a.weights !== undefined || b.weights !== undefined
  const method = options.method ?? 'auto'
  const exact =
    !summarised &&
    (method === 'exact' ||
      (method === 'auto' && m * n <= (options.exactMaxProduct ?? DEFAULT_EXACT_MAX_PRODUCT)))
  if (exact) return { pValue: ksExactPValue(statistic, m, n), method: 'exact' }
  const tested = Math.max(0, statistic - a.rankError - b.rankError)
  return { pValue: ksAsymptoticPValue(tested, m, n), method: 'asymptotic' }
}
