import { describe, expect, it } from 'vitest'
import { WordCursor } from '../../text/words.js'
import { mixHash } from '../../util/hashing.js'
import { extractTokenFeatures, nameTokenBucket, pairBucket, wordBucket } from './text-features.js'

/** The mixed hash the miner buckets a one-word text by. */
function hashOf(word: string): number {
  const words = new WordCursor(word)
  words.next()
  return mixHash(words.hash)
}

describe('text features', () => {
  it('holds each word and word pair of a text once', () => {
    const incidence = extractTokenFeatures(['buy buy now', 'now'])
    const now = wordBucket(hashOf('now'))
    expect(incidence.carrierCounts[wordBucket(hashOf('buy'))]).toBe(1)
    expect(incidence.carrierCounts[now]).toBe(2)
    expect(incidence.carrierCounts[pairBucket(hashOf('buy'), hashOf('now'))]).toBe(1)
    expect(incidence.indptr[1]).toBe(4)
  })

  it('names a bucket by the word or pair of words that fills it in the given texts', () => {
    const texts = ['hello XQZ there', 'xqz again', 'James, Bond returns', 'nothing here']
    expect(nameTokenBucket(texts, [0, 1, 3], wordBucket(hashOf('xqz')))).toBe('xqz')
    expect(nameTokenBucket(texts, [2], pairBucket(hashOf('james'), hashOf('bond')))).toBe('james bond')
    expect(nameTokenBucket(texts, [3], wordBucket(hashOf('xqz')))).toBeUndefined()
  })
})
