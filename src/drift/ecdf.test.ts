import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { columnDistribution, empiricalDistribution } from './ecdf.js'

describe('columnDistribution', () => {
  it('sorts a column of any float32 values, dropping the non-finite, like a comparison sort', () => {
    const cell = fc.oneof(
      fc.float(),
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e-45, -1e-45, 3.4e38, -3.4e38),
    )
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 80 }), fc.integer({ min: 1, max: 3 }), (cells, cols) => {
        const data = Float32Array.from(cells)
        const rows = Math.floor(data.length / cols)
        for (let col = 0; col < cols; col++) {
          const column = Float32Array.from({ length: rows }, (_, row) => data[row * cols + col])
          const expected = empiricalDistribution(column)
          const actual = columnDistribution(data.subarray(0, rows * cols), cols, col)
          expect(Array.from(actual.values)).toEqual(Array.from(expected.values))
          expect(actual.count).toBe(expected.count)
        }
      }),
      { numRuns: 300 },
    )
  })
})
