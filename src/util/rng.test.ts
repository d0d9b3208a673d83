import { describe, expect, it } from 'vitest'
import { createRng } from './rng.js'

describe('createRng', () => {
  it('shuffles in place as a Fisher–Yates pass of `int` draws would, and goes on from the same state', () => {
    for (const [seed, count] of [
      [7, 1000],
      [0, 2],
      [123456789, 1],
    ]) {
      const byDraws = createRng(seed)
      const expected = Int32Array.from({ length: count }, (_, index) => index)
      for (let index = count - 1; index > 0; index--) {
        const other = byDraws.int(index + 1)
        ;[expected[index], expected[other]] = [expected[other], expected[index]]
      }
      const shuffling = createRng(seed)
      const shuffled = Int32Array.from({ length: count }, (_, index) => index)
      shuffling.shuffle(shuffled)
      expect(shuffled).toEqual(expected)
      expect(shuffling.next()).toBe(byDraws.next())
    }
  })
})
