import { describe, expect, it } from 'vitest'
import { createRng } from '../util/rng.js'
import { rankSumLowerTail } from './rank-sum.js'

/** Every `size`-subset of 1…`population`, as a list of sums. */
function subsetSums(size: number, population: number): number[] {
  const sums: number[] = []
  const visit = (start: number, left: number, sum: number) => {
    if (left === 0) {
      sums.push(sum)
      return
    }
    for (let rank = start; rank <= population - left + 1; rank++) visit(rank + 1, left - 1, sum + rank)
  }
  visit(1, size, 0)
  return sums
}

describe('rankSumLowerTail', () => {
  it('equals the share of subsets summing at most as much in the tail, counted by hand', () => {
    for (const [size, population] of [
      [1, 7],
      [2, 9],
      [3, 12],
      [5, 14],
    ]) {
      const sums = subsetSums(size, population)
      const sorted = sums.sort((a, b) => a - b)
      for (let limit = sorted[0]; limit <= sorted[sorted.length - 1]; limit++) {
        const share = sums.filter((sum) => sum <= limit).length / sums.length
        // Exact in the tail, where a test decides; the normal approximation beyond it.
        if (share <= 0.05) expect(rankSumLowerTail(limit, size, population)).toBeCloseTo(share, 10)
        else expect(Math.abs(rankSumLowerTail(limit, size, population) - share)).toBeLessThan(0.06)
      }
    }
  })

  it('gives one rank its exact chance: the lowest of 600 ranks is 1 in 600', () => {
    expect(rankSumLowerTail(1, 1, 600)).toBeCloseTo(1 / 600, 12)
    expect(rankSumLowerTail(0, 1, 600)).toBe(0)
    expect(rankSumLowerTail(5, 0, 600)).toBe(1)
  })

  it('is uniform under random samples: about 1% of draws fall below 0.01', () => {
    const rng = createRng(7)
    let below = 0
    const draws = 2_000
    for (let draw = 0; draw < draws; draw++) {
      const population = 200
      const size = 1 + (draw % 40)
      const ranks = new Set<number>()
      while (ranks.size < size) ranks.add(1 + rng.int(population))
      const sum = [...ranks].reduce((total, rank) => total + rank, 0)
      if (rankSumLowerTail(sum, size, population) < 0.01) below++
    }
    expect(below / draws).toBeLessThan(0.02)
    expect(below).toBeGreaterThan(0)
  })
})
