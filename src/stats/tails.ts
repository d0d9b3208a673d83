import { lnChoose, regularizedGammaP, regularizedGammaQ, SERIES_TOLERANCE } from './special.js'

/** P(X ≥ x) for X ~ χ² with `degreesOfFreedom` degrees of freedom. */
export function chiSquareSurvival(x: number, degreesOfFreedom: number): number {
  if (degreesOfFreedom <= 0) return 1
  return regularizedGammaQ(degreesOfFreedom / 2, x / 2)
}

/** P(Z ≥ z) for a standard normal Z. */
export function normalSurvival(z: number): number {
  // erfc(z/√2)/2 through Q(1/2, z²/2), which stays accurate far into the tail.
  const half = 0.5 * regularizedGammaQ(0.5, (z * z) / 2)
  return z >= 0 ? half : 1 - half
}

// Acklam's coefficients, held once: a detector asks for hundreds of thousands of quantiles, and arrays built per call
// were most of what its worker allocated.
const centralNumerator = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
]
const centralDenominator = [
  -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
]
const tailNumerator = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
]
const tailDenominator = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]

function normalTail(q: number): number {
  const c = tailNumerator
  const d = tailDenominator
  return (
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  )
}

/**
 * The standard normal quantile: z with P(Z ≤ z) = `probability`, by Acklam's rational approximation (relative
 * error below 1.2·10⁻⁹), for `probability` in (0, 1).
 */
export function normalQuantile(probability: number): number {
  if (probability < 0.02425) return normalTail(Math.sqrt(-2 * Math.log(probability)))
  if (probability > 1 - 0.02425) return -normalTail(Math.sqrt(-2 * Math.log1p(-probability)))
  const a = centralNumerator
  const b = centralDenominator
  const q = probability - 0.5
  const r = q * q
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  )
}

/** P(X ≥ observed) for X ~ Binomial(trials, probability), summed in log space so far tails do not vanish early. */
export function binomialUpperTail(observed: number, trials: number, probability: number): number {
  if (observed <= 0) return 1
  if (observed > trials || probability <= 0) return 0
  if (probability >= 1) return 1
  const logProbability = Math.log(probability)
  const logComplement = Math.log1p(-probability)
  const mode = Math.floor((trials + 1) * probability)
  let sum = 0
  for (let successes = observed; successes <= trials; successes++) {
    const term = Math.exp(
      lnChoose(trials, successes) + successes * logProbability + (trials - successes) * logComplement,
    )
    sum += term
    if (successes > mode && term < sum * 1e-16) break
  }
  return Math.min(1, sum)
}

/** P(X ≥ observed) for X ~ Poisson(mean): the regularised lower incomplete gamma P(observed, mean). */
export function poissonUpperTail(observed: number, mean: number): number {
  if (observed <= 0) return 1
  if (mean <= 0) return 0
  return regularizedGammaP(observed, mean)
}

/**
 * Chernoff bound on `P(X ≥ observed)` for a sum of `trials` independent Bernoulli variables with mean `expected`,
 * as a natural log: `-trials · KL(observed/trials ‖ expected/trials)`, valid for any mix of probabilities and far
 * tighter than the Poisson bound when most trials succeed.
 */
export function logBinomialTailBound(observed: number, trials: number, expected: number): number {
  if (observed <= expected) return 0
  const rate = Math.min(Math.max(expected / trials, 1e-12), 1)
  const share = Math.min(observed / trials, 1)
  const hit = share * Math.log(share / rate)
  const miss = share < 1 ? (1 - share) * Math.log((1 - share) / Math.max(1 - rate, 1e-12)) : 0
  return -trials * (hit + miss)
}

/**
 * Chernoff bound on `P(X ≥ observed)` for a sum of independent Bernoulli variables with mean `expected`
 * (the Poisson tail bound, valid for any mix of probabilities), as a natural log.
 */
export function logPoissonTailBound(observed: number, expected: number): number {
  if (observed <= expected) return 0
  const safeExpected = Math.max(expected, 1e-12)
  return -(observed * Math.log(observed / safeExpected) - observed + safeExpected)
}

/**
 * Survival function of the Kolmogorov distribution, P(K > λ) = 2 Σ (−1)^(j−1) exp(−2 j² λ²); for small λ the
 * equivalent theta-function form converges where the alternating series does not.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda <= 0) return 1
  if (lambda < 1) {
    const factor = Math.sqrt(2 * Math.PI) / lambda
    const base = (Math.PI * Math.PI) / (8 * lambda * lambda)
    let sum = 0
    for (let j = 1; j < 50; j++) {
      const term = Math.exp(-(2 * j - 1) * (2 * j - 1) * base)
      sum += term
      if (term < SERIES_TOLERANCE * sum) break
    }
    return Math.min(1, Math.max(0, 1 - factor * sum))
  }
  let sum = 0
  for (let j = 1; j < 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda)
    sum += j % 2 === 1 ? term : -term
    if (term < SERIES_TOLERANCE * sum) break
  }
  return Math.min(1, Math.max(0, 2 * sum))
}

/**
 * P(X ≥ observed) for X ~ Hypergeometric(population, successes, draws): the one-sided p-value of Fisher's exact
 * test that the drawn group holds more of the successes than chance would give it.
 */
export function hypergeometricUpperTail(
  observed: number,
  population: number,
  successes: number,
  draws: number,
): number {
  const lowest = Math.max(0, draws + successes - population)
  const highest = Math.min(successes, draws)
  if (observed <= lowest) return 1
  if (observed > highest) return 0
  let term = Math.exp(
    lnChoose(successes, observed) +
      lnChoose(population - successes, draws - observed) -
      lnChoose(population, draws),
  )
  let sum = 0
  for (let x = observed; x <= highest; x++) {
    sum += term
    term *= ((successes - x) * (draws - x)) / ((x + 1) * (population - successes - draws + x + 1))
    if (term < sum * SERIES_TOLERANCE) break
  }
  return Math.min(1, sum)
}
