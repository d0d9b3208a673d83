import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { splitLine, suspectPosterior } from './score.js'

function withinSquares(values: number[]): number {
  if (values.length === 0) return 0
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length
  return values.reduce((sum, value) => sum + (value - mean) ** 2, 0)
}

/** The cheapest cut of the sorted values by trying every one. */
function bruteForceCost(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  let best = Number.POSITIVE_INFINITY
  for (let cut = 1; cut < sorted.length; cut++)
    best = Math.min(best, withinSquares(sorted.slice(0, cut)) + withinSquares(sorted.slice(cut)))
  return best
}

function normals(count: number, seed: number, shift = 0): number[] {
  const rng = createRng(seed)
  return Array.from({ length: count }, () => rng.normal() + shift)
}

describe('splitLine', () => {
  it('finds the cut with the least within-group sum of squares', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 2, maxLength: 40 }),
        (integers) => {
          fc.pre(new Set(integers).size > 1)
          const split = splitLine(Float64Array.from(integers))
          const cost = split.low.variance * split.low.count + split.high.variance * split.high.count
          expect(cost).toBeCloseTo(bruteForceCost(integers), 6)
          expect(split.low.count + split.high.count).toBe(integers.length)
          expect(split.low.mean).toBeLessThan(split.high.mean)
        },
      ),
    )
  })

  it('separates two distant groups and keeps one Gaussian together', () => {
    const apart = splitLine(Float64Array.from([...normals(300, 1), ...normals(100, 2, 20)]))
    expect(apart.high.count).toBe(100)
    expect(apart.separation).toBeGreaterThan(10)
    // Cutting one Gaussian in half gives D ≈ 2.65 whatever its scale: the baseline a real split must beat.
    const single = splitLine(Float64Array.from(normals(4000, 3).map((value) => value * 7)))
    expect(single.separation).toBeGreaterThan(2.3)
    expect(single.separation).toBeLessThan(3)
  })

  it('handles constant values without NaN', () => {
    const split = splitLine(new Float64Array(10).fill(4))
    expect(split.separation).toBe(0)
    expect(Number.isFinite(split.low.mean) && Number.isFinite(split.high.mean)).toBe(true)
  })
})

describe('suspectPosterior', () => {
  const clean = { count: 900, mean: 0, variance: 1 }
  const suspect = { count: 100, mean: 12, variance: 2 }

  it('is near 1 at the suspect group and near 0 at the clean group', () => {
    expect(suspectPosterior(12, suspect, clean)).toBeGreaterThan(0.999)
    expect(suspectPosterior(0, suspect, clean)).toBeLessThan(0.001)
    const between = suspectPosterior(6, suspect, clean)
    expect(between).toBeGreaterThan(0)
    expect(between).toBeLessThan(1)
  })

  it('rises monotonically from the clean group towards the suspect group', () => {
    let previous = -1
    for (let value = 0; value <= 12; value += 0.5) {
      const posterior = suspectPosterior(value, suspect, clean)
      expect(posterior).toBeGreaterThanOrEqual(previous)
      previous = posterior
    }
  })
})
