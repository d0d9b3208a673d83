import { describe, expect, it } from 'vitest'
import { silhouetteStandOutPValue, studentSurvival } from './stand-out.js'

describe('studentSurvival', () => {
  it('matches tabulated upper tails of odd and even degrees', () => {
    // scipy.stats.t.sf
    expect(studentSurvival(2, 1)).toBeCloseTo(0.147583617650433, 12)
    expect(studentSurvival(2, 2)).toBeCloseTo(0.091751709536137, 12)
    expect(studentSurvival(4, 8)).toBeCloseTo(0.00197488640172266, 12)
    expect(studentSurvival(10, 7)).toBeCloseTo(1.06971014453864e-5, 12)
    expect(studentSurvival(0, 4)).toBe(0.5)
    expect(studentSurvival(-2, 1)).toBeCloseTo(1 - 0.147583617650433, 12)
  })
})

describe('silhouetteStandOutPValue', () => {
  const natural = [0.25, 0.33, 0.26, 0.2, 0.79, 0.3, 0, 0.09, 0.19]

  it('does not call a tight natural group significant among ten classes that hold another', () => {
    // Ten-class ink profiles with flips: class 3's group of 14 (0.64) beside class 5's natural one (0.79).
    const pValue = silhouetteStandOutPValue([...natural, 0.64], [...natural.map(() => false), true])
    expect(pValue).toBeGreaterThan(0.01)
  })

  it('calls a split far beyond every other class significant', () => {
    const quiet = [0.25, 0.33, 0.26, 0.2, 0.29, 0.3, 0.22, 0.19, 0.21]
    const pValue = silhouetteStandOutPValue([...quiet, 0.93], [...quiet.map(() => false), true])
    expect(pValue).toBeLessThan(0.001)
  })

  it('has no test below three classes', () => {
    expect(silhouetteStandOutPValue([0.9, 0.2], [true, false])).toBeUndefined()
  })
})
