import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { componentGap } from './score.js'

describe('the tail gap on data with repeated records', () => {
  it('raises false alarms when repeats count as draws of their own, which is why the detector sees each record once', () => {
    const draws = 300
    let alarmsCountingRepeats = 0
    let alarms = 0
    for (let seed = 1; seed <= draws; seed++) {
      // Honest scores of a smooth exponential tail, the null the test is exact for, and about 30% of the records
      // written a second time.
      const rng = createRng(seed)
      const honest = Float64Array.from({ length: 569 }, () => -Math.log(1 - rng.next()))
      const scores = Float64Array.from([...honest, ...honest.filter(() => rng.next() < 0.3)])
      if (componentGap({ scores: honest, contaminated: true }, Int32Array.from(honest.keys())).pValue < 0.01)
        alarms++
      if (componentGap({ scores, contaminated: true }, Int32Array.from(scores.keys())).pValue < 0.01)
        alarmsCountingRepeats++
    }
    expect(alarms / draws).toBeLessThanOrEqual(0.02)
    expect(alarmsCountingRepeats).toBeGreaterThan(3 * Math.max(alarms, 1))
  })
})
