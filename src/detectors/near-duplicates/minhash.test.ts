import { describe, expect, it } from 'vitest'
import { minhashSignatures, shingleJaccard, visitBandBuckets, wordShingles } from './minhash.js'

const base =
  'the quarterly report shows revenue grew in every region while costs stayed flat and the board ' +
  'approved a dividend for shareholders of record at the end of the month'

/** Pairs of rows (`a-b`, a < b) that share at least one band bucket. */
function pairSet(signatures: Uint32Array, rowCount: number, bandCount: number): Set<string> {
  const set = new Set<string>()
  visitBandBuckets(signatures, rowCount, bandCount, (rows) => {
    for (let first = 0; first < rows.length; first++)
      for (let second = first + 1; second < rows.length; second++) set.add(`${rows[first]}-${rows[second]}`)
  })
  return set
}

describe('word shingles and MinHash LSH', () => {
  it('measures the exact Jaccard overlap of word-pair sets', () => {
    const sets = wordShingles(['a b c d', 'a b c d', 'a b x c d', 'p q r s', 'solo', ''], 1000)
    expect(shingleJaccard(sets, 0, 1)).toBe(1)
    // {ab, bc, cd} against {ab, bx, xc, cd}: two shared of five.
    expect(shingleJaccard(sets, 0, 2)).toBeCloseTo(2 / 5)
    expect(shingleJaccard(sets, 0, 3)).toBe(0)
    expect(sets.offsets[5] - sets.offsets[4]).toBe(1)
    expect(sets.offsets[6] - sets.offsets[5]).toBe(0)
  })

  it('reads only the leading characters asked for', () => {
    const sets = wordShingles(['one two three four', 'one two three five'], 13)
    expect(shingleJaccard(sets, 0, 1)).toBe(1)
  })

  it('pairs near-duplicate texts and leaves unrelated ones apart', () => {
    const unrelated = Array.from(
      { length: 40 },
      (_, index) =>
        `message ${index} about topic ${index * 7} with words w${index} v${index * 3} u${index * 11}`,
    )
    const texts = [base, `${base} indeed`, base.replace('grew', 'grew strongly'), ...unrelated]
    const sets = wordShingles(texts, 10_000)
    const pairs = pairSet(minhashSignatures(sets, 100, 7), texts.length, 20)
    expect(pairs.has('0-1')).toBe(true)
    expect(pairs.has('0-2')).toBe(true)
    let unrelatedPairs = 0
    for (const pair of pairs) if (Number(pair.split('-')[0]) >= 3) unrelatedPairs++
    expect(unrelatedPairs).toBeLessThan(5)
  })

  it('gives identical sets identical signatures, so copies share one bucket in every band', () => {
    const texts = Array.from({ length: 50 }, () => base)
    const signatures = minhashSignatures(wordShingles(texts, 10_000), 100, 3)
    expect(Array.from(signatures.subarray(0, 100))).toEqual(Array.from(signatures.subarray(100, 200)))
    const buckets: number[][] = []
    visitBandBuckets(signatures, texts.length, 20, (rows) => buckets.push(Array.from(rows)))
    expect(buckets).toHaveLength(20)
    for (const rows of buckets) expect(rows).toEqual(Array.from({ length: 50 }, (_, row) => row))
  })
})
