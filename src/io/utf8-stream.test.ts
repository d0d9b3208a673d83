import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Utf8Stream } from './utf8-stream.js'

/** Whether the stream accepts `bytes` cut into chunks at `cuts`. */
function accepts(bytes: Buffer, cuts: number[]): boolean {
  const stream = new Utf8Stream()
  let start = 0
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (!stream.push(bytes.subarray(start, cut))) return false
    start = cut
  }
  return stream.push(bytes.subarray(start)) && stream.finish()
}

describe('Utf8Stream', () => {
  it('agrees with a fatal decoder however the bytes are cut', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 }).map((value) => Buffer.from(value, 'utf8'))
    const bytes = fc.oneof(
      text,
      fc.uint8Array({ maxLength: 40 }).map((array) => Buffer.from(array)),
    )
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 5 }), (input, cuts) => {
        let valid = true
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(input)
        } catch {
          valid = false
        }
        expect(
          accepts(
            input,
            cuts.map((cut) => cut % (input.length + 1)),
          ),
        ).toBe(valid)
      }),
      { numRuns: 500 },
    )
  })

  it('rejects a stream that ends inside a sequence', () => {
    const euro = Buffer.from('€', 'utf8')
    expect(accepts(euro.subarray(0, 2), [1])).toBe(false)
    expect(accepts(euro, [1, 2])).toBe(true)
  })
})
