import { describe, expect, it } from 'vitest'
import { createRng } from '../util/rng.js'
import { tokenBurstTest, tokenDistributionTest } from './text-drift.js'
import {
  concatenateCorpora,
  createVocabulary,
  documentFrequencies,
  selectDocuments,
  tokenizeTexts,
  topTokens,
} from './tokens.js'

const WORDS = ['offer', 'meeting', 'invoice', 'lunch', 'report', 'free', 'click', 'team', 'update', 'project']

/** Texts of 5–12 words drawn from WORDS with the given weights. */
function texts(count: number, seed: number, weights = WORDS.map(() => 1), extra?: (index: number) => string) {
  const rng = createRng(seed)
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  const draw = () => {
    let target = rng.next() * total
    for (let index = 0; index < WORDS.length; index++) {
      target -= weights[index]
      if (target < 0) return WORDS[index]
    }
    return WORDS[WORDS.length - 1]
  }
  return Array.from({ length: count }, (_, index) => {
    const words = Array.from({ length: 5 + rng.int(8) }, draw)
    return `${words.join(' ')} ${extra?.(index) ?? ''}`
  })
}

describe('tokenising', () => {
  it('keeps each distinct lower-cased token once per document, sorted, in a shared vocabulary', () => {
    const vocabulary = createVocabulary()
    const first = tokenizeTexts(['Free FREE offer!', 'naïve café 42'], vocabulary)
    const second = tokenizeTexts(['offer again', 'x'.repeat(41)], vocabulary)
    expect(vocabulary.tokens).toEqual(['free', 'offer', 'naïve', 'café', '42', 'again'])
    expect(Array.from(first.tokens.subarray(first.offsets[0], first.offsets[1]))).toEqual([0, 1])
    expect(Array.from(second.tokens)).toEqual([1, 5])
    expect(second.offsets[2] - second.offsets[1]).toBe(0)
    const both = concatenateCorpora([first, second])
    expect(both.documentCount).toBe(4)
    expect(Array.from(documentFrequencies(both))).toEqual([1, 2, 1, 1, 1, 1])
    const picked = selectDocuments(both, [2, 0])
    expect(Array.from(picked.tokens)).toEqual([1, 5, 0, 1])
  })

  it('picks the most frequent tokens by document frequency', () => {
    expect(Array.from(topTokens(Int32Array.from([3, 9, 0, 9, 1, 5]), 3))).toEqual([1, 3, 5])
    expect(Array.from(topTokens(Int32Array.from([0, 0]), 3))).toEqual([])
  })
})

describe('token bursts', () => {
  it('finds a token injected into 5% of the batch and ignores ordinary variation', () => {
    const vocabulary = createVocabulary()
    const reference = tokenizeTexts(texts(2000, 1), vocabulary)
    const clean = tokenizeTexts(texts(1000, 2), vocabulary)
    const poisoned = tokenizeTexts(
      texts(1000, 3, undefined, (index) => (index % 20 === 0 ? 'cf' : '')),
      vocabulary,
    )
    const args = (batch: typeof clean) =>
      [
        documentFrequencies(reference),
        2000,
        documentFrequencies(batch),
        batch.documentCount,
        vocabulary.tokens,
      ] as const
    const quiet = tokenBurstTest(...args(clean))
    expect(quiet.pValue).toBeGreaterThan(0.01)
    const burst = tokenBurstTest(...args(poisoned))
    expect(burst.pValue).toBeLessThan(1e-10)
    expect(burst.bursts[0]).toMatchObject({
      token: 'cf',
      batchDocuments: 50,
      referenceDocuments: 0,
      batchShare: 0.05,
    })
    expect(burst.tested).toBe(WORDS.length + 1)
  })
})

describe('token-distribution shift', () => {
  it('detects a changed word mix and names the words, and is quiet without a change', () => {
    const vocabulary = createVocabulary()
    const reference = tokenizeTexts(texts(1500, 4), vocabulary)
    const same = tokenizeTexts(texts(800, 5), vocabulary)
    const weights = WORDS.map((word) => (word === 'free' || word === 'click' ? 2 : 1))
    const shifted = tokenizeTexts(texts(800, 6, weights), vocabulary)
    const quiet = tokenDistributionTest(reference, same, { rng: createRng(7), permutations: 100 })
    const loud = tokenDistributionTest(reference, shifted, { rng: createRng(8), permutations: 100 })
    expect(quiet.pValue).toBeGreaterThan(0.01)
    expect(loud.pValue).toBeLessThan(1e-3)
    expect(loud.jensenShannon).toBeGreaterThan(quiet.jensenShannon)
    expect(
      loud.changed
        .slice(0, 2)
        .map((share) => share.token)
        .sort(),
    ).toEqual(['click', 'free'])
  })

  it('is deterministic for a seed', () => {
    const vocabulary = createVocabulary()
    const reference = tokenizeTexts(texts(300, 9), vocabulary)
    const batch = tokenizeTexts(texts(200, 10), vocabulary)
    const run = () => tokenDistributionTest(reference, batch, { rng: createRng(11), permutations: 30 })
    expect(run()).toEqual(run())
  })
})
