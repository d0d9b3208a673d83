import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { findTailGap } from './gap.js'

const tailGapPValue = (scores: ArrayLike<number>) => findTailGap(scores).pValue

/** `count` draws of a Pareto tail (index 1.5) on a log scale, as the neighbour-distance log-ratios are. */
function paretoLogs(count: number, seed: number): Float64Array {
  const rng = createRng(seed)
  return Float64Array.from({ length: count }, () => -Math.log(1 - rng.next()) / 1.5)
}

describe('tailGapPValue', () => {
  it('is below 0.01 in about 1% of honest samples, heavy-tailed ones included', () => {
    let below = 0
    for (let seed = 1; seed <= 200; seed++) if (tailGapPValue(paretoLogs(2000, seed)) < 0.01) below++
    expect(below).toBeLessThanOrEqual(5)
  })

  it('finds a hundred scores set apart from the tail, and one far beyond it', () => {
    const scores = paretoLogs(2000, 7)
    for (let index = 0; index < 100; index++) scores[index] = 12 + index / 100
    expect(tailGapPValue(scores)).toBeLessThan(1e-6)
    const single = paretoLogs(2000, 7)
    single[0] = 25
    expect(tailGapPValue(single)).toBeLessThan(0.001)
  })

  it('finds nothing in too few scores to measure a tail on', () => {
    expect(tailGapPValue([0, 1, 2, 50])).toBe(1)
  })

  it('reads no gap into scores that take only a few values', () => {
    const rng = createRng(3)
    const shares = Float64Array.from({ length: 2000 }, () => Math.floor(rng.next() * 4) / 3)
    expect(tailGapPValue(shares)).toBe(1)
  })
})
