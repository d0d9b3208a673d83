import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { columnDistribution, compareCdfs, type EmpiricalDistribution, empiricalDistribution } from './ecdf.js'

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

/** The same sample with every weight spelled out as 1, which sends `compareCdfs` down its general weighted walk. */
function withUnitWeights(distribution: EmpiricalDistribution): EmpiricalDistribution {
  return { ...distribution, weights: new Float64Array(distribution.values.length).fill(1) }
}

describe('compareCdfs', () => {
  it('gives for exact samples, to the last bit, what the weighted walk gives with unit weights', () => {
    const value = fc.oneof(fc.integer({ min: -4, max: 4 }), fc.double({ min: -50, max: 50, noNaN: true }))
    const sample = fc.array(value, { maxLength: 60 }).map(empiricalDistribution)
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        expect(compareCdfs(a, b)).toEqual(compareCdfs(withUnitWeights(a), withUnitWeights(b)))
      }),
      { numRuns: 500 },
    )
  })
})
