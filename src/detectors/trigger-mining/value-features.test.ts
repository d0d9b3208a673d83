import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { extractValueFeatures, sharedValues } from './value-features.js'

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

  /*
   * A trigger of two columns on 40 of 200 rows: 9.5 stands alone in the first column; 2.5 in the second does not,
   * beside a natural peak of 50 rows at 0.2, but it is written into the same rows as 9.5. The peak and a flag held by
   * every fifth row (8 of them among the 40) share no rows with 9.5 beyond chance and stay out.
   */
  it('keeps a value past the cap that is written into the same rows as a value standing alone elsewhere', () => {
    const rng = createRng(3)
    const rows = 200
    const data = new Float32Array(rows * 3)
    for (let row = 0; row < rows; row++) {
      data[row * 3] = row < 40 ? 9.5 : Math.round(rng.normal() * 1000) / 1000
      data[row * 3 + 1] = row < 40 ? 2.5 : row < 90 ? 0.2 : Math.round(rng.normal() * 1000) / 1000
      data[row * 3 + 2] = row % 5 === 0 ? 1 : 0
    }
    const features = extractValueFeatures({ data, rows, cols: 3 }, 5, 30, 66)
    expect(valuesOf(features)).toEqual([
      [0, 9.5],
      [1, 2.5],
    ])
    expect(Array.from(features.incidence.carrierCounts)).toEqual([40, 40])
  })
})

describe('sharedValues', () => {
  const rowsWhere = (keep: (row: number) => boolean) =>
    Int32Array.from({ length: 200 }, (_, row) => row).filter(keep)

  it('finds the value every given row holds at five times its share of the table, and not the flag they hold at its own', () => {
    expect(
      sharedValues(
        table(),
        rowsWhere((row) => row < 40),
        0.5,
      ),
    ).toEqual([{ col: 0, value: 9.5 }])
  })

  it('finds a flag the given rows all hold, whatever its column, and nothing for rows held at the table’s own shares', () => {
    expect(
      sharedValues(
        table(),
        rowsWhere((row) => row % 5 === 0),
        0.5,
      ),
    ).toEqual([{ col: 1, value: 1 }])
    expect(
      sharedValues(
        table(),
        rowsWhere(() => true),
        0.5,
      ),
    ).toEqual([])
  })
})
