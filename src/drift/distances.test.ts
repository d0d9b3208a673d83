import { describe, expect, it } from 'vitest'
import { createRng } from '../util/rng.js'
import { chiSquareTest, compareCategories, jensenShannonDivergence } from './categorical.js'
import { populationStabilityIndex, wasserstein1 } from './distances.js'
import { type EmpiricalDistribution, empiricalDistribution, quantileOf } from './ecdf.js'

function weighted(pairs: [number, number][]): EmpiricalDistribution {
  const sorted = [...pairs].sort((a, b) => a[0] - b[0])
  const weights = Float64Array.from(sorted, ([, weight]) => weight)
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0)
  return {
    values: Float64Array.from(sorted, ([value]) => value),
    weights,
    totalWeight,
    count: sorted.length,
    rankError: 0,
  }
}

describe('Wasserstein-1', () => {
  // SciPy's wasserstein_distance docstring examples.
  it('matches SciPy: [0,1,3] vs [5,6,8] = 5', () => {
    expect(wasserstein1(empiricalDistribution([0, 1, 3]), empiricalDistribution([5, 6, 8]))).toBeCloseTo(
      5,
      14,
    )
  })

  it('matches SciPy on weighted samples', () => {
    expect(
      wasserstein1(
        weighted([
          [0, 3],
          [1, 1],
        ]),
        weighted([
          [0, 2],
          [1, 2],
        ]),
      ),
    ).toBeCloseTo(0.25, 14)
    const u = weighted([
      [3.4, 1.4],
      [3.9, 0.9],
      [7.5, 3.1],
      [7.8, 7.2],
    ])
    const v = weighted([
      [4.5, 3.2],
      [1.4, 3.5],
    ])
    expect(wasserstein1(u, v)).toBeCloseTo(4.0781331438047861, 12)
  })

  it('equals the shift for a translated sample', () => {
    const rng = createRng(3)
    const values = Array.from({ length: 500 }, () => rng.normal())
    const shifted = values.map((value) => value + 0.7)
    expect(wasserstein1(empiricalDistribution(values), empiricalDistribution(shifted))).toBeCloseTo(0.7, 12)
  })
})

describe('population stability index', () => {
  it('is about 0 for samples of one distribution and large for a shifted one', () => {
    const rng = createRng(9)
    const reference = empiricalDistribution(Array.from({ length: 20_000 }, () => rng.normal()))
    const same = empiricalDistribution(Array.from({ length: 20_000 }, () => rng.normal()))
    const shifted = empiricalDistribution(Array.from({ length: 20_000 }, () => rng.normal() + 1))
    expect(populationStabilityIndex(reference, same).psi).toBeLessThan(0.005)
    expect(populationStabilityIndex(reference, shifted).psi).toBeGreaterThan(0.25)
  })

  it('matches a hand computation on quartile bins', () => {
    const reference = empiricalDistribution([1, 2, 3, 4, 5, 6, 7, 8])
    const batch = empiricalDistribution([1, 1, 1, 1, 3, 5, 7, 8])
    const result = populationStabilityIndex(reference, batch, 4)
    expect(result.edges).toEqual([2, 4, 6])
    expect(result.referenceShares).toEqual([0.25, 0.25, 0.25, 0.25])
    expect(result.batchShares).toEqual([0.5, 0.125, 0.125, 0.25])
    const expected = (0.5 - 0.25) * Math.log(0.5 / 0.25) + (0.125 - 0.25) * Math.log(0.125 / 0.25) * 2
    expect(result.psi).toBeCloseTo(expected, 14)
  })

  it('keeps an atom in one bin instead of emptying bins', () => {
    const reference = empiricalDistribution([
      ...Array(90).fill(0),
      ...Array.from({ length: 10 }, (_, i) => i + 1),
    ])
    const result = populationStabilityIndex(reference, reference)
    expect(quantileOf(reference, 0.5)).toBe(0)
    expect(result.psi).toBe(0)
    expect(result.edges[0]).toBe(0)
    expect(result.referenceShares[0]).toBeCloseTo(0.9, 14)
  })
})

describe('χ² test of homogeneity', () => {
  it('matches SciPy chi2_contingency on a 2 × 3 table', () => {
    const result = chiSquareTest([10, 10, 20, 20, 20, 20], 3)
    expect(result.statistic).toBeCloseTo(2.7777777777777777, 13)
    expect(result.degreesOfFreedom).toBe(2)
    expect(result.pValue).toBeCloseTo(0.24935220877729619, 13)
  })

  it('matches the uncorrected 2 × 2 reference [[10,0],[0,10]]: χ² = 20, p = 7.744e-6, V = 1', () => {
    const result = chiSquareTest([10, 0, 0, 10], 2)
    expect(result.statistic).toBeCloseTo(20, 12)
    expect(result.pValue / 7.744216431044088e-6).toBeCloseTo(1, 10)
    expect(result.cramersV).toBeCloseTo(1, 12)
  })

  it('drops empty columns from the degrees of freedom and gives p = 1 for proportional rows', () => {
    const result = chiSquareTest([1, 2, 0, 2, 4, 0], 3)
    expect(result.degreesOfFreedom).toBe(1)
    expect(result.statistic).toBeCloseTo(0, 14)
    expect(result.pValue).toBeCloseTo(1, 14)
  })

  it('pools rare categories so a lone new value does not dominate', () => {
    const comparison = compareCategories([500, 500, 0], [250, 249, 1])
    expect(comparison.degreesOfFreedom).toBe(1)
    expect(comparison.pValue).toBeGreaterThan(0.5)
    expect(comparison.maxShareChange).toBeCloseTo(0.002, 12)
  })

  it('sees a 10-point prior shift', () => {
    const comparison = compareCategories([2800, 1200], [1200, 800])
    expect(comparison.pValue).toBeLessThan(1e-10)
    expect(comparison.maxShareChange).toBeCloseTo(0.1, 12)
  })
})

describe('Jensen–Shannon divergence', () => {
  it('matches SciPy jensenshannon (a distance in nats) squared and converted to bits', () => {
    const distanceNats = 0.46450140402245893
    expect(jensenShannonDivergence([1, 0], [0.5, 0.5])).toBeCloseTo(distanceNats ** 2 / Math.LN2, 12)
    expect(jensenShannonDivergence([1, 0, 0], [0, 1, 0])).toBeCloseTo(1, 14)
    expect(jensenShannonDivergence([3, 1], [6, 2])).toBeCloseTo(0, 14)
  })
})
