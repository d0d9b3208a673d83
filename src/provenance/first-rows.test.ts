import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FirstRows } from './first-rows.js'

/** Feeds ids through `FirstRows`, id `i` on row `rows[i]` (default `i`), and returns what it answered for each. */
function answers(ids: readonly string[], rows?: readonly number[]): number[] {
  const firstRows = new FirstRows()
  return ids.map((id, index) => {
    const bytes = Buffer.from(`<${id}>`)
    return firstRows.firstRow(bytes, 1, bytes.length - 1, rows?.[index] ?? index)
  })
}

/** The same answers from a Map of strings. */
function expected(ids: readonly string[], rows?: readonly number[]): number[] {
  const first = new Map<string, number>()
  return ids.map((id, index) => {
    const seen = first.get(id)
    if (seen !== undefined) return seen
    first.set(id, rows?.[index] ?? index)
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

  it('answers with the right row when rows are skipped between ids (records without an id)', () => {
    const ids = Array.from({ length: 3000 }, (_, index) => `r${index}`)
    ids.push('r0', 'r1499', 'r2999')
    // Every seventh row skipped, and a long gap in the middle.
    const rows = ids.map((_, index) => index + Math.floor(index / 7) + (index >= 1500 ? 100_000 : 0))
    expect(answers(ids, rows).slice(-3)).toEqual([0, rows[1499], rows[2999]])
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(40).map(String), fc.nat(3)), { maxLength: 200 }), (pairs) => {
        const list = pairs.map(([id]) => id)
        let row = 0
        const steps = pairs.map(([, step]) => (row += 1 + step))
        expect(answers(list, steps)).toEqual(expected(list, steps))
      }),
      { numRuns: 300 },
    )
  })
})
