import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  binomialUpperTail,
  chiSquareSurvival,
  hypergeometricUpperTail,
  kolmogorovSurvival,
  logBinomialTailBound,
  logPoissonTailBound,
  normalQuantile,
  normalSurvival,
  poissonUpperTail,
} from './tails.js'

/**
 * Reference values: the standard normal and χ² critical values of statistical tables (Abramowitz & Stegun
 * 26.1 and 26.4), SciPy's documentation examples, and exact sums evaluated in 40-digit arithmetic (mpmath),
 * rounded to double precision. Relative accuracy is checked where a tail is far below 1.
 */
function expectRelative(actual: number, expected: number, digits: number): void {
  expect(actual / expected).toBeCloseTo(1, digits)
}

/** Natural log of P(X ≥ observed) for X ~ Poisson(expected), summed in log space. */
function logPoissonTail(observed: number, expected: number): number {
  let logTerm = -expected + observed * Math.log(expected)
  for (let j = 2; j <= observed; j++) logTerm -= Math.log(j)
  let logSum = logTerm
  for (let j = observed + 1; j < observed + 2000; j++) {
    logTerm += Math.log(expected / j)
    logSum = Math.max(logSum, logTerm) + Math.log1p(Math.exp(-Math.abs(logSum - logTerm)))
    if (logTerm < logSum - 40) break
  }
  return logSum
}

describe('normal tail', () => {
  it('matches the standard normal table', () => {
    expect(normalSurvival(0)).toBeCloseTo(0.5, 15)
    expect(normalSurvival(1)).toBeCloseTo(0.15865525393145705, 14)
    expect(normalSurvival(2)).toBeCloseTo(0.02275013194817921, 14)
    expect(normalSurvival(-1)).toBeCloseTo(0.8413447460685429, 13)
    expect(normalSurvival(-2)).toBeCloseTo(0.9772498680518208, 14)
    expect(normalSurvival(1.959963984540054)).toBeCloseTo(0.025, 14)
    expect(normalSurvival(1.6448536269514722)).toBeCloseTo(0.05, 14)
    expect(normalSurvival(2.5758293035489004)).toBeCloseTo(0.005, 14)
  })

  it('stays relative-accurate far into the tail', () => {
    expectRelative(normalSurvival(3), 1.3498980316300946e-3, 12)
    expectRelative(normalSurvival(5), 2.866515718791939e-7, 11)
    expectRelative(normalSurvival(8), 6.220960574271784e-16, 10)
    expectRelative(normalSurvival(10), 7.619853024160527e-24, 8)
  })

  it('has a quantile that matches the table and inverts the tail', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9)
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8)
    expect(normalQuantile(0.005)).toBeCloseTo(-2.5758293035489004, 8)
    // P(Z ≤ z) = P(Z ≥ −z); far in the upper tail P(Z ≤ z) rounds to 1, so z stops at 4 there.
    for (const z of [-8, -5, -3, -1, -0.3, 0.7, 2, 4])
      expect(normalQuantile(normalSurvival(-z))).toBeCloseTo(z, 6)
  })
})

describe('χ² tail', () => {
  it('matches SciPy (chisquare and chi2_contingency docs)', () => {
    expect(chiSquareSurvival(2, 5)).toBeCloseTo(0.84914503608460956, 13)
    expect(chiSquareSurvival(3.5, 5)).toBeCloseTo(0.62338762774958223, 13)
    expect(chiSquareSurvival(2.7777777777777777, 2)).toBeCloseTo(0.24935220877729619, 13)
    expectRelative(chiSquareSurvival(20, 1), 7.744216431044088e-6, 10)
  })

  it('gives the significance levels of the χ² table at its critical values', () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 12)
    expect(chiSquareSurvival(6.6348966010212145, 1)).toBeCloseTo(0.01, 13)
    expect(chiSquareSurvival(18.307038053275146, 10)).toBeCloseTo(0.05, 13)
    expect(chiSquareSurvival(124.34211340400407, 100)).toBeCloseTo(0.05, 12)
    expect(chiSquareSurvival(3, 3)).toBeCloseTo(0.39162517627108895, 14)
    expect(chiSquareSurvival(0.5, 4)).toBeCloseTo(0.9735009788392561, 14)
    expectRelative(chiSquareSurvival(50, 10), 2.6690834249044957e-7, 11)
  })

  it('keeps far-tail p-values relative-accurate and treats no degrees of freedom as no evidence', () => {
    // Two degrees of freedom: the survival function is exactly e^{−x/2}.
    expectRelative(chiSquareSurvival(1000, 2), Math.exp(-500), 10)
    expect(chiSquareSurvival(5, 0)).toBe(1)
  })
})

describe('binomial tail', () => {
  it('matches closed forms', () => {
    expect(binomialUpperTail(8, 10, 0.5)).toBeCloseTo(56 / 1024, 14)
    expect(binomialUpperTail(50, 50, 0.5)).toBeCloseTo(2 ** -50, 25)
    expect(binomialUpperTail(1, 1000, 0.001)).toBeCloseTo(1 - 0.999 ** 1000, 12)
  })

  it('matches exact sums, far tails relatively', () => {
    expect(binomialUpperTail(60, 100, 0.5)).toBeCloseTo(0.028443966820490395, 13)
    expect(binomialUpperTail(3, 20, 0.05)).toBeCloseTo(0.07548367378849634, 13)
    expectRelative(binomialUpperTail(15, 200, 0.02), 1.4857401387301496e-5, 10)
    expectRelative(binomialUpperTail(189, 205, 0.5), 5.412171739903887e-39, 10)
  })

  it('is 1 at no successes and 0 beyond the trials or at probability 0', () => {
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1)
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0)
    expect(binomialUpperTail(1, 10, 0)).toBe(0)
    expect(binomialUpperTail(4, 10, 1)).toBe(1)
  })
})

describe('Poisson tail', () => {
  it('matches closed forms and exact sums', () => {
    expect(poissonUpperTail(1, 2)).toBeCloseTo(1 - Math.exp(-2), 14)
    expect(poissonUpperTail(3, 1)).toBeCloseTo(1 - Math.exp(-1) * 2.5, 14)
    expect(poissonUpperTail(10, 5)).toBeCloseTo(0.03182805730620481, 14)
    expectRelative(poissonUpperTail(1, 0.001), 9.995001666250082e-4, 12)
    expectRelative(poissonUpperTail(20, 3.5), 1.1314262374247226e-9, 10)
    expectRelative(poissonUpperTail(100, 60), 1.481527632646047e-6, 10)
    expect(poissonUpperTail(0, 5)).toBe(1)
    expect(poissonUpperTail(3, 0)).toBe(0)
  })

  it('its Chernoff bound is 0 up to the mean and matches the bound beyond it', () => {
    expect(logPoissonTailBound(3, 5)).toBe(0)
    expect(logPoissonTailBound(10, 2)).toBeCloseTo(-(10 * Math.log(5) - 8), 10)
  })

  it('the binomial Chernoff bound never claims more than the exact binomial tail, nor less than the Poisson bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.double({ min: 0.01, max: 0.9, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (trials, rate, position) => {
          const expected = trials * rate
          const observed = Math.min(trials, Math.ceil(expected) + Math.round(position * trials))
          if (observed <= expected) return
          const bound = logBinomialTailBound(observed, trials, expected)
          expect(bound).toBeGreaterThanOrEqual(Math.log(binomialUpperTail(observed, trials, rate)) - 1e-9)
          expect(bound).toBeLessThanOrEqual(logPoissonTailBound(observed, expected) + 1e-9)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('its Chernoff bound never claims more significance than the exact tail', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 60, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        (expected, extra) => {
          const observed = Math.ceil(expected) + extra
          expect(logPoissonTailBound(observed, expected)).toBeGreaterThanOrEqual(
            logPoissonTail(observed, expected) - 1e-9,
          )
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('Kolmogorov tail', () => {
  it('matches the distribution on both branches', () => {
    expect(kolmogorovSurvival(1)).toBeCloseTo(0.26999967167735456, 13)
    expect(kolmogorovSurvival(1.3580986393225505)).toBeCloseTo(0.05, 10)
    expect(kolmogorovSurvival(1.6276236115189504)).toBeCloseTo(0.01, 10)
    // The two series agree where they switch.
    const below = kolmogorovSurvival(1 - 1e-9)
    expect(below).toBeCloseTo(kolmogorovSurvival(1), 8)
    expect(1 - kolmogorovSurvival(0.2)).toBeCloseTo(5.05e-13, 14)
    expect(kolmogorovSurvival(0)).toBe(1)
  })
})

describe('hypergeometric tail', () => {
  it("is Fisher's one-sided exact test (lady tasting tea: 17/70)", () => {
    expect(hypergeometricUpperTail(3, 8, 4, 4)).toBeCloseTo(17 / 70, 14)
    expect(hypergeometricUpperTail(4, 8, 4, 4)).toBeCloseTo(1 / 70, 14)
    expect(hypergeometricUpperTail(0, 8, 4, 4)).toBe(1)
    expect(hypergeometricUpperTail(5, 8, 4, 4)).toBe(0)
    // All 30 occurrences in a third of the documents: (1/3)^30 to within the finite-population correction.
    const p = hypergeometricUpperTail(30, 6000, 30, 2000)
    expect(Math.log10(p)).toBeCloseTo(30 * Math.log10(1 / 3), 0)
  })
})
