import { describe, expect, it } from 'vitest'
import { createRng } from '../util/rng.js'
import { summarizeColumns } from './columns.js'

describe('column summaries', () => {
  it('summarise a subset of rows from the summaries of every row exactly as by sorting the subset', () => {
    const rng = createRng(4)
    const rows = 3000
    const cols = 3
    const data = new Float32Array(rows * cols)
    for (let index = 0; index < data.length; index++) {
      const col = index % cols
      data[index] = col === 0 ? rng.normal() : col === 1 ? rng.int(4) : rng.next() < 0.5 ? -0 : 0
    }
    data[6 * cols] = Number.NaN
    data[8 * cols + 1] = Number.POSITIVE_INFINITY
    const matrix = { data, rows, cols }
    const whole = summarizeColumns(matrix)
    const subset = Int32Array.from({ length: rows }, (_, row) => row).filter((row) => row % 3 !== 1)
    const derived = summarizeColumns(matrix, { rows: subset, whole })
    const sorted = summarizeColumns(matrix, { rows: subset })
    expect(derived.map((summary) => summary.distribution)).toEqual(
      sorted.map((summary) => summary.distribution),
    )
    expect(derived.map((summary) => summary.distinct)).toEqual(sorted.map((summary) => summary.distinct))
    // Signed zeros keep their order: -0 sorts before 0 either way.
    const zeros = derived[2].distribution.values
    expect(zeros.findIndex((value) => Object.is(value, 0))).toBe(
      sorted[2].distribution.values.findIndex((value) => Object.is(value, 0)),
    )
    expect(derived[0].distribution.count).toBe(subset.length - 1)
  })
})
