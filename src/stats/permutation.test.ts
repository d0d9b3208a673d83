import { describe, expect, it } from 'vitest'
import { createRng } from '../util/rng.js'
import { permutationPValue } from './permutation.js'
import { chiSquareSurvival } from './tails.js'

describe('permutation p-values', () => {
  it('counts exceedances with the +1 correction', () => {
    const permuted = Float64Array.from({ length: 99 }, (_, index) => index)
    expect(permutationPValue(89.5, permuted)).toMatchObject({ pValue: 10 / 100, exceedances: 9 })
    expect(permutationPValue(-1, permuted).pValue).toBe(1)
  })

  it('reads a far tail from a Pearson type III fit that matches a χ² permutation distribution', () => {
    const rng = createRng(12)
    // χ² with 4 degrees of freedom as the "permutation" distribution.
    const permuted = Float64Array.from({ length: 2000 }, () => {
      let sum = 0
      for (let k = 0; k < 4; k++) sum += rng.normal() ** 2
      return sum
    })
    const result = permutationPValue(40, permuted)
    expect(result.tailFit).toBe('pearson3')
    expect(result.pValue).toBeLessThan(1 / 2001)
    expect(Math.log10(result.pValue)).toBeCloseTo(Math.log10(chiSquareSurvival(40, 4)), 0)
  })
})
