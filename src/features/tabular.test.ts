import { describe, expect, it } from 'vitest'
import { reshapeTable } from './tabular.js'

/** Rows of [size in characters (heavy-tailed), share in [0,1], a one-hot code of three categories]. */
function mixedTable() {
  const rows = [
    [120, 0.1, 1, 0, 0],
    [340, 0.2, 0, 1, 0],
    [95_000, 0.3, 1, 0, 0],
    [210, 0.4, 0, 0, 1],
    [180, 0.5, 1, 0, 0],
    [260, 0.6, 0, 1, 0],
  ]
  return { data: Float32Array.from(rows.flat()), rows: rows.length, cols: 5 }
}

function column(matrix: { data: Float32Array; cols: number; rows: number }, col: number): number[] {
  return Array.from({ length: matrix.rows }, (_, row) => matrix.data[row * matrix.cols + col])
}

describe('reshapeTable', () => {
  it('keeps only the order of a heavy-tailed column, so one huge value weighs like any other', () => {
    const { matrix, rankedColumns } = reshapeTable(mixedTable())
    expect(rankedColumns).toBe(2)
    const sizes = column(matrix, 0)
    const shares = column(matrix, 1)
    // 95,000 characters ranks last, one step above 340, exactly as 0.6 ranks above 0.5.
    expect(sizes[2] - sizes[1]).toBeCloseTo(shares[5] - shares[4], 5)
  })

  it('scales a one-hot group to the variance of one standardised column', () => {
    const { matrix, oneHotGroups } = reshapeTable(mixedTable())
    expect(oneHotGroups).toBe(1)
    let variance = 0
    for (const col of [2, 3, 4]) for (const value of column(matrix, col)) variance += value ** 2 / matrix.rows
    expect(variance).toBeCloseTo(1, 5)
  })
})
