import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FirstRows } from './first-rows.js'

/** Feeds ids through `FirstRows` and returns what it answered for each. */
function answers(ids: readonly string[]): number[] {
  const firstRows = new FirstRows()
  return ids.map((id, row) => {
    const bytes = Buffer.from(`<${id}>`)
    return firstRows.firstRow(bytes, 1, bytes.length - 1, row)
  })
}

/** The same answers from a Map of strings. */
function expected(ids: readonly string[]): number[] {
  const first = new Map<string, number>()
  return ids.map((id, row) => {
    const seen = first.get(id)
    if (seen !== undefined) return seen
    first.set(id, row)
    return -1
  })
}

describe('FirstRows', () => {
  it('finds a repeat of an id kept while the ids were in order', () => {
    const ids = Array.from({ length: 5000 }, (_, index) => `r${index}`)
    ids.push('r17', 'r4999', 'x', 'x', 'r9')
    expect(answers(ids).slice(-5)).toEqual([17, 4999, -1, 5002, 9])
  })

  it('answers like a map for ids in any order, sorted runs and repeats included', () => {
    const id = fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.nat(300).map(String),
      fc.constantFrom('', 'é', 'a', 'aa', 'b'),
    )
    const ids = fc.oneof(
      fc.array(id, { maxLength: 300 }),
      fc
        .tuple(fc.nat(3000), fc.array(id, { maxLength: 50 }))
        .map(([count, tail]) => [...Array.from({ length: count }, (_, index) => String(index)), ...tail]),
    )
    fc.assert(
      fc.property(ids, (list) => {
        expect(answers(list)).toEqual(expected(list))
      }),
      { numRuns: 300 },
    )
  })
})
