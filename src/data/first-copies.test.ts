import { describe, expect, it } from 'vitest'
import { findRecordCopies } from './first-copies.js'

describe('findRecordCopies', () => {
  it('keeps the first of records written more than once and every record that differs in any bit', () => {
    const rows = [
      [1, 2, 3],
      [4, 5, 6],
      [1, 2, 3],
      [1, 2, Math.fround(3.0000002)],
      [4, 5, 6],
      [0, -0, 0],
      [0, 0, 0],
    ]
    const data = Float32Array.from(rows.flat())
    const copies = findRecordCopies({ rowCount: rows.length, features: { data, rows: rows.length, cols: 3 } })
    expect(Array.from(copies.isFirst)).toEqual([1, 1, 0, 1, 0, 1, 1])
    expect(Array.from(copies.firstRow)).toEqual([0, 1, 0, 3, 1, 5, 6])
    expect(copies.repeatCount).toBe(2)
  })

  it('keeps copies with another label or text apart: a contradiction is two records, not one draw', () => {
    const data = Float32Array.from([1, 2, 1, 2, 1, 2, 1, 2])
    const copies = findRecordCopies({
      rowCount: 4,
      features: { data, rows: 4, cols: 2 },
      texts: ['a', 'a', 'a', 'b'],
      codes: Int32Array.from([0, 1, 0, 0]),
    })
    expect(Array.from(copies.firstRow)).toEqual([0, 1, 0, 3])
  })
})
