import { describe, expect, it } from 'vitest'
import { lowerBound } from './sorted.js'

describe('lowerBound', () => {
  it('finds the first index at or above a value, past ties, and the end when every value is below', () => {
    const values = Float64Array.from([1, 2, 2, 2, 5])
    expect([0, 1, 2, 3, 5, 6].map((value) => lowerBound(values, value))).toEqual([0, 0, 1, 4, 4, 5])
    expect(lowerBound(new Int32Array(0), 3)).toBe(0)
  })
})
