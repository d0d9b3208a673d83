import { describe, expect, it } from 'vitest'
import { CandidateNull, type ReferenceFeature } from './candidate-null.js'

/** Ordinary features: carriers hold their best label 1.5× as often as content predicts, give or take. */
function ordinary(count: number): ReferenceFeature[] {
  return Array.from({ length: count }, (_, index) => {
    const carriers = 20 + (index % 200)
    const expected = carriers / 4
    return { carriers, observed: Math.round(expected * (1.3 + (0.4 * ((index * 7) % 10)) / 10)), expected }
  })
}

describe('CandidateNull', () => {
  const candidateNull = new CandidateNull([ordinary(400), ordinary(10)])

  it('passes a feature that only says as much as ordinary ones of its kind, and not a trigger', () => {
    expect(candidateNull.logPValue(0, 120, 45, 30)).toBeGreaterThan(Math.log(0.01))
    expect(candidateNull.logPValue(0, 120, 110, 12)).toBeLessThan(Math.log(1e-20))
  })

  it('cannot judge a kind with too few ordinary candidates', () => {
    expect(candidateNull.logPValue(1, 120, 110, 12)).toBeUndefined()
  })
})
