import { describe, expect, it } from 'vitest'
import { countTexts, textCountSettings } from '../features/text.js'
import { packTermFrequencies, unpackTermFrequencies } from './text-counts.js'

const bytesOf = (array: Int32Array | Float32Array) =>
  Buffer.from(array.buffer, array.byteOffset, array.byteLength)

describe('term frequencies of a feature job', () => {
  const texts = [
    'Free money!!! Click here for FREE money now',
    '',
    'Ünïcödé café naïve façade — café Ünïcödé',
    // One word 20,000 times: a frequency above what a word holds beside an 18-bit bucket.
    'spam '.repeat(20_000),
    'the budget meeting moved to Wednesday',
  ]

  it('come back as the counting writes them, bit for bit, in half the bytes or beside the buckets', () => {
    const settings = textCountSettings({ maxChars: 200_000 })
    for (const block of [texts.filter((text) => text.length < 1000), texts]) {
      const counted = countTexts(block, settings)
      const packed = packTermFrequencies(
        countTexts(block, settings, { termFrequencies: true }),
        settings.hashBits,
      )
      const back = unpackTermFrequencies(packed, settings.hashBits)
      for (const name of ['indptr', 'indices', 'values'] as const)
        expect(bytesOf(back[name]).equals(bytesOf(counted[name]))).toBe(true)
      const wordBytes = counted.indices.byteLength
      if (block === texts) expect(packed.byteLength).toBeGreaterThan(2 * wordBytes)
      else expect(packed.byteLength).toBeLessThan(wordBytes + counted.indptr.byteLength + 200)
    }
  })
})
