import { describe, expect, it } from 'vitest'
import { findRecordCopies } from '../../data/first-copies.js'
import { createRng } from '../../util/rng.js'
import { componentGap } from './score.js'

describe('the tail gap on data with repeated records', () => {
  it('reads repeats as one draw: the same p-value as without them, where counting them raises false alarms', () => {
    const draws = 300
    let alarmsCountingRepeats = 0
    let alarms = 0
    for (let seed = 1; seed <= draws; seed++) {
      // Honest scores of a smooth exponential tail, the null the test is exact for, and about 30% of the records
      // written a second time.
      const rng = createRng(seed)
      const honest = Float64Array.from({ length: 569 }, () => -Math.log(1 - rng.next()))
      const scores = Float64Array.from([...honest, ...honest.filter(() => rng.next() < 0.3)])
      const counted = findRecordCopies({
        rowCount: scores.length,
        features: { data: new Float32Array(scores), rows: scores.length, cols: 1 },
      }).isFirst
      const rows = Int32Array.from(scores.keys())
      const once = componentGap({ scores, contaminated: true }, rows, counted).pValue
      expect(once).toBe(
        componentGap({ scores: honest, contaminated: true }, Int32Array.from(honest.keys())).pValue,
      )
      if (once < 0.01) alarms++
      if (componentGap({ scores, contaminated: true }, rows).pValue < 0.01) alarmsCountingRepeats++
    }
    expect(alarms / draws).toBeLessThanOrEqual(0.02)
    expect(alarmsCountingRepeats).toBeGreaterThan(3 * Math.max(alarms, 1))
  })
})
