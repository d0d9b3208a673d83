import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { extractValueFeatures } from './value-features.js'

/** 200 rows: a measurement with 40 rows set to its maximum, a 0/1 flag held by 40 rows, a grade in three values. */
function table() {
  const rng = createRng(7)
  const rows = 200
  const data = new Float32Array(rows * 3)
  for (let row = 0; row < rows; row++) {
    data[row * 3] = row < 40 ? 9.5 : Math.round(rng.normal() * 1000) / 1000
    data[row * 3 + 1] = row % 5 === 0 ? 1 : 0
    data[row * 3 + 2] = row % 3
  }
  return { data, rows, cols: 3 }
}

function valuesOf(features: ReturnType<typeof extractValueFeatures>) {
  return Array.from(features.values, (value, index) => [features.columns[index], value])
}

describe('extractValueFeatures', () => {
  it('keeps a value past the cap where it towers over its column, and no category of a flag or a grade', () => {
    const features = extractValueFeatures(table(), 5, 30, 66)
    expect(valuesOf(features)).toEqual([[0, 9.5]])
    expect(features.incidence.carrierCounts[0]).toBe(40)
  })

  it('keeps nothing past the cap without room for it', () => {
    expect(valuesOf(extractValueFeatures(table(), 5, 30))).toEqual([])
  })

  it('keeps the flag and the grade values under a cap that admits them', () => {
    const kept = valuesOf(extractValueFeatures(table(), 5, 200))
    expect(kept).toEqual(
      expect.arrayContaining([
        [0, 9.5],
        [1, 0],
        [1, 1],
        [2, 0],
        [2, 1],
        [2, 2],
      ]),
    )
  })
})
