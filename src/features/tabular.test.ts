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
  it('puts sizes on a log scale and leaves a signed column linear', () => {
    const table = mixedTable()
    // A signed column replaces the shares: a value far outside its range must stay far out.
    const signed = [-1, 0.5, 12, -0.5, 1, 0]
    signed.forEach((value, row) => {
      table.data[row * table.cols + 1] = value
    })
    const { matrix, compressedColumns } = reshapeTable(table)
    expect(compressedColumns).toBe(1)
    const sizes = column(matrix, 0)
    // 95,000 characters lie as far above 340 as log(1 + 95,000/235) lies above log(1 + 340/235), 235 being the median size.
    const logs = [120, 340, 95_000].map((size) => Math.log1p(size / 235))
    expect((sizes[2] - sizes[1]) / (sizes[1] - sizes[0])).toBeCloseTo(
      (logs[2] - logs[1]) / (logs[1] - logs[0]),
      4,
    )
    const values = column(matrix, 1)
    expect((values[2] - values[5]) / (values[4] - values[5])).toBeCloseTo(12, 4)
  })

  it('scales a one-hot group to the variance of one standardised column', () => {
    const { matrix, oneHotGroups } = reshapeTable(mixedTable())
    expect(oneHotGroups).toBe(1)
    let variance = 0
    for (const col of [2, 3, 4]) for (const value of column(matrix, col)) variance += value ** 2 / matrix.rows
    expect(variance).toBeCloseTo(1, 5)
  })
})
