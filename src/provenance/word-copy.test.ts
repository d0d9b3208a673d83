import { describe, expect, it } from 'vitest'
import { copyWords, viewOf } from './word-copy.js'

describe('copyWords', () => {
  it('copies every length from 0 to 40 between unaligned offsets exactly, touching nothing around the range', () => {
    const source = Buffer.from(Array.from({ length: 64 }, (_, index) => (index * 37 + 11) & 255))
    for (let length = 0; length <= 40; length++) {
      for (const [from, to] of [
        [0, 0],
        [3, 5],
        [7, 1],
      ]) {
        const target = Buffer.alloc(64, 0xee)
        copyWords(viewOf(source.subarray(from)), 0, viewOf(target), to, length)
        const expected = Buffer.alloc(64, 0xee)
        source.copy(expected, to, from, from + length)
        expect(target).toEqual(expected)
      }
    }
  })
})
