/** Relative accuracy the series and continued fractions of this module iterate to. */
export const SERIES_TOLERANCE = 1e-15
const TINY = 1e-300
const MAX_ITERATIONS = 100_000

const LANCZOS_G = 7
const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
  12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
]

/** Natural logarithm of the gamma function for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x)
  const shifted = x - 1
  let sum = LANCZOS[0]
  for (let index = 1; index < LANCZOS.length; index++) sum += LANCZOS[index] / (shifted + index)
  const t = shifted + LANCZOS_G + 0.5
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum)
}

/** ln C(n, k), the log of a binomial coefficient. */
export function lnChoose(n: number, k: number): number {
  return lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1)
}

/** P(a, x) by its power series; converges fast for x < a + 1. */
function lowerGammaSeries(a: number, x: number): number {
  let term = 1 / a
  let sum = term
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n)
    sum += term
    if (Math.abs(term) < Math.abs(sum) * SERIES_TOLERANCE) break
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a))
}

/** Q(a, x) by its continued fraction (modified Lentz); converges fast for x ≥ a + 1. */
function upperGammaFraction(a: number, x: number): number {
  let b = x + 1 - a
  let c = 1 / TINY
  let d = 1 / b
  let h = d
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    const an = -n * (n - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < TINY) d = TINY
    c = b + an / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < SERIES_TOLERANCE) break
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h
}

/** Regularised lower incomplete gamma P(a, x) = γ(a, x) / Γ(a), for a > 0 and x ≥ 0. */
export function regularizedGammaP(a: number, x: number): number {
  if (x <= 0) return 0
  if (!Number.isFinite(x)) return 1
  return x < a + 1 ? lowerGammaSeries(a, x) : 1 - upperGammaFraction(a, x)
}

/** Regularised upper incomplete gamma Q(a, x) = 1 − P(a, x), accurate in the far tail. */
export function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  if (!Number.isFinite(x)) return 0
  return x < a + 1 ? 1 - lowerGammaSeries(a, x) : upperGammaFraction(a, x)
}
