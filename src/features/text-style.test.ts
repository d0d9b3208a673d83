import { describe, expect, it } from 'vitest'
import { textStyleFeatures, textStyleNames } from './text-style.js'

describe('textStyleFeatures', () => {
  it('measures lengths, capitals, digits, marks and a leading tag', () => {
    const { data, rows, cols } = textStyleFeatures(['Re: FREE money!!  Win $1000 now', 'hello wörld', ''])
    expect(rows).toBe(3)
    expect(cols).toBe(textStyleNames.length)
    const first = Object.fromEntries(textStyleNames.map((name, col) => [name, data[col]]))
    expect(first).toMatchObject({
      characters: 31,
      words: 6,
      'longest word': 7,
      'all-capital words': 1,
      digits: 4,
      'non-ASCII characters': 0,
      'emphasis marks (! ? $ % *)': 3,
      'runs of spaces': 1,
      'leading tag (a short word and a colon)': 1,
    })
    expect(first['upper-case share of letters']).toBeCloseTo(6 / 17, 6)
    expect(data[cols + 6]).toBe(1)
    expect(Array.from(data.subarray(2 * cols))).toEqual(new Array(cols).fill(0))
  })
})
