import { describe, expect, it } from 'vitest'
import { benjaminiHochberg, holmAdjust } from './multiple-testing.js'

describe('Benjamini–Hochberg', () => {
  it('matches R p.adjust(method = "BH")', () => {
    const adjusted = benjaminiHochberg([0.01, 0.04, 0.03, 0.002, 0.5])
    expect(Array.from(adjusted)).toEqual([0.025, 0.05, 0.05, 0.01, 0.5].map((q) => expect.closeTo(q, 14)))
    const evenlySpaced = benjaminiHochberg([0.01, 0.02, 0.03, 0.04, 0.05])
    expect(Array.from(evenlySpaced)).toEqual([0.05, 0.05, 0.05, 0.05, 0.05].map((q) => expect.closeTo(q, 14)))
  })

  it('treats NaN as 1 and keeps q ≥ p', () => {
    const p = [Number.NaN, 0.001, 0.2, 0.04]
    const q = benjaminiHochberg(p)
    expect(q[0]).toBe(1)
    for (let index = 1; index < p.length; index++) expect(q[index]).toBeGreaterThanOrEqual(p[index])
  })
})

describe('Holm', () => {
  it('matches R p.adjust(method = "holm") and stays monotone', () => {
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.002, 0.5])
    expect(Array.from(adjusted)).toEqual([0.04, 0.09, 0.09, 0.01, 0.5].map((q) => expect.closeTo(q, 14)))
    expect(holmAdjust([Number.NaN, 0.6])[0]).toBe(1)
  })
})
