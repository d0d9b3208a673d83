import { describe, expect, it } from 'vitest'
import { CandidateNull, oddsScale, type ReferenceFeature } from './candidate-null.js'

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
    expect(candidateNull.logPValue(0, { carriers: 120, observed: 45, expected: 30 })).toBeGreaterThan(
      Math.log(0.01),
    )
    expect(candidateNull.logPValue(0, { carriers: 120, observed: 110, expected: 12 })).toBeLessThan(
      Math.log(1e-20),
    )
  })

  it('cannot judge a kind with too few ordinary candidates', () => {
    expect(candidateNull.logPValue(1, { carriers: 120, observed: 110, expected: 12 })).toBeUndefined()
  })

  it('judges a large feature of a kind made mostly of small chance repeats by the large ones', () => {
    // The precisely counted value features of the two-class ink profiles of 3,000 digits: carriers, with the best
    // label, expected with it. Empty pixel rows are label-rich when their carriers' content is read apart from them.
    const precise = [
      [379, 361, 181.2],
      [85, 81, 47.5],
      [45, 20, 19.2],
      [263, 192, 117.2],
      [265, 212, 134.6],
      [165, 157, 97.2],
      [95, 95, 62.8],
      [24, 24, 18.9],
      [87, 86, 60.3],
      [165, 156, 96.4],
      [306, 241, 157.3],
      [36, 36, 30.2],
      [24, 24, 23.5],
      [53, 53, 49.1],
      [51, 43, 42.7],
      [107, 58, 48.3],
      [53, 24, 23.5],
      [248, 147, 142.9],
      [91, 52, 50.5],
      [403, 251, 235.1],
      [93, 37, 36],
      [142, 72, 72.2],
      [371, 207, 207.2],
      [89, 51, 50.8],
      [125, 49, 43.4],
      [49, 27, 24.4],
      [84, 55, 42.6],
    ].map(([carriers, observed, expected]) => ({ carriers, observed, expected }))
    // And the chance repeats of its continuous columns.
    const small = Array.from({ length: 64 }, (_, index) => ({
      carriers: 5 + (index % 9),
      observed: 5,
      expected: 4 + (index % 3) / 2,
    }))
    const kinds = new CandidateNull([[...precise, ...small]])
    expect(kinds.logPValue(0, { carriers: 379, observed: 361, expected: 181.2 })).toBeGreaterThan(
      Math.log(1e-4),
    )
    expect(kinds.logPValue(0, { carriers: 379, observed: 361, expected: 40 })).toBeLessThan(Math.log(1e-20))
  })

  it('tells a trigger towards a class of four records in five by its odds, and not a label-pure natural feature', () => {
    // Ordinary features whose carriers content reads as the big class 70–90% of the time, holding it a little more
    // or less often than predicted.
    const majority = Array.from({ length: 300 }, (_, index) => {
      const labelled = 40 + (index % 300)
      const expected = labelled * (0.7 + (0.2 * ((index * 7) % 10)) / 10)
      const observed = Math.min(labelled, Math.round(expected * (0.97 + (0.06 * ((index * 3) % 10)) / 10)))
      return { carriers: labelled, labelled, observed, expected }
    })
    const byOdds = new CandidateNull([majority], oddsScale)
    const trigger = { carriers: 201, labelled: 201, observed: 200, expected: 163.4 }
    // No ratio of counts can pass 201 / 163.4 = 1.23; the counts' null cannot tell it from ordinary features.
    expect(new CandidateNull([majority]).logPValue(0, trigger)).toBeGreaterThan(Math.log(1e-4))
    expect(byOdds.logPValue(0, trigger)).toBeLessThan(Math.log(1e-12))
    // All 100 carriers of the class where content predicts 98 of them (1:50): two missing records say little.
    expect(
      byOdds.logPValue(0, { carriers: 100, labelled: 100, observed: 100, expected: 98 }),
    ).toBeGreaterThan(Math.log(0.05))
  })
})
