import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FirstRows, forEachId, nextCounter } from './first-rows.js'

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

  it('counts ids up by their trailing digits, the width kept while it can be', () => {
    const next = (id: string) => {
      const to = Buffer.alloc(id.length + 1)
      const length = nextCounter(Buffer.from(id), id.length, to)
      return length < 0 ? null : to.toString('latin1', 0, length)
    }
    expect(['r0', 'r9', 'r19', 'r99', 'a0099', '999', '0', 'x-7', 'r', 'a9b'].map(next)).toEqual([
      'r1',
      'r10',
      'r20',
      'r100',
      'a0100',
      '1000',
      '1',
      'x-8',
      null,
      null,
    ])
  })

  it('spells out counted ids as they arrived, and answers for them like a map', () => {
    const counter = fc
      .tuple(fc.constantFrom('', 'r', 'id-', '00', 'a9'), fc.nat(200), fc.nat(150))
      .map(([prefix, from, count]) =>
        Array.from({ length: count }, (_, index) => `${prefix}${String(from + index).padStart(3, '0')}`),
      )
    const tail = fc.array(
      fc.oneof(
        fc.nat(400).map((n) => `r${n}`),
        fc.string({ maxLength: 3 }),
      ),
      { maxLength: 20 },
    )
    fc.assert(
      fc.property(fc.array(counter, { maxLength: 4 }), tail, (runs, extra) => {
        const list = [...runs.flat(), ...extra]
        expect(answers(list)).toEqual(expected(list))
        // The first part alone, as another thread records it: its distinct ids back, in order.
        const ordered = new FirstRows()
        const inOrder: string[] = []
        runs.flat().forEach((id, row) => {
          const bytes = Buffer.from(id)
          if (ordered.firstRow(bytes, 0, bytes.length, row) < 0) inOrder.push(id)
        })
        const spelled: string[] = []
        forEachId(ordered.recorded(), (bytes, start, end) => {
          spelled.push(Buffer.from(bytes.subarray(start, end)).toString())
          return true
        })
        expect(spelled).toEqual(inOrder)
        // Whether another part shares an id with it, counted ids included.
        const other = new FirstRows()
        extra.forEach((id, row) => {
          const bytes = Buffer.from(id)
          other.firstRow(bytes, 0, bytes.length, row)
        })
        const seen = new Set(inOrder)
        expect(ordered.sharesNone(other.recorded())).toBe(!extra.some((id) => seen.has(id)))
      }),
      { numRuns: 300 },
    )
  })
})
