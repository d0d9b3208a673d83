import { describe, expect, it } from 'vitest'
import { spamRecords } from '../../test/fixtures/datasets.js'
import type { SparseMatrix } from '../data/matrix.js'
import { isPoisonguardError } from '../errors.js'
import {
  countTexts,
  featurizeText,
  featurizeTextWith,
  isShortTextCorpus,
  shortTextWordCount,
  type TextCounter,
} from './text.js'

function rowEntries(matrix: SparseMatrix, row: number): Map<number, number> {
  const entries = new Map<number, number>()
  for (let k = matrix.indptr[row]; k < matrix.indptr[row + 1]; k++)
    entries.set(matrix.indices[k], matrix.values[k])
  return entries
}

function dot(matrix: SparseMatrix, a: number, b: number): number {
  const right = rowEntries(matrix, b)
  let sum = 0
  for (const [index, value] of rowEntries(matrix, a)) sum += value * (right.get(index) ?? 0)
  return sum
}

const corpus = [
  'Free money!!! Click here for FREE money now',
  'free MONEY click HERE for free money now',
  'Meeting notes: the quarterly budget review is on Tuesday',
  'The budget meeting moved to Wednesday; notes attached',
  'Ünïcödé café naïve façade — café Ünïcödé',
  'naïve café on Tuesday',
  '',
]

describe('featurizeText', () => {
  const { matrix, vocabularySize, idf } = featurizeText(corpus, { minDocumentFrequency: 1 })

  it('returns one L2-normalised row per text in 2^18 buckets, indices sorted, empty text empty', () => {
    expect([matrix.rows, matrix.cols]).toEqual([corpus.length, 2 ** 18])
    for (let row = 0; row < corpus.length - 1; row++) {
      expect(dot(matrix, row, row)).toBeCloseTo(1, 5)
      for (let k = matrix.indptr[row] + 1; k < matrix.indptr[row + 1]; k++) {
        expect(matrix.indices[k]).toBeGreaterThan(matrix.indices[k - 1])
      }
    }
    expect(matrix.indptr[corpus.length] - matrix.indptr[corpus.length - 1]).toBe(0)
    expect(vocabularySize).toBe(idf.filter((weight) => weight > 0).length)
  })

  it('lower-cases tokens, so texts differing only in case and punctuation coincide', () => {
    expect(dot(matrix, 0, 1)).toBeCloseTo(1, 5)
    expect(dot(matrix, 0, 2)).toBeLessThan(0.1)
    expect(dot(matrix, 2, 3)).toBeGreaterThan(dot(matrix, 2, 0))
  })

  it('tokenises Unicode letters and shares character n-grams across related words', () => {
    const unicode = featurizeText(['Ünïcödé', 'ünïcödé', 'ÜNÏCÖDÉ', 'unicode'], {
      minDocumentFrequency: 1,
    }).matrix
    expect(dot(unicode, 0, 1)).toBeCloseTo(1, 5)
    expect(dot(unicode, 0, 2)).toBeCloseTo(1, 5)
    const related = featurizeText(['poisoning', 'poisoned', 'banana'], { minDocumentFrequency: 1 }).matrix
    expect(dot(related, 0, 1)).toBeGreaterThan(0.2)
    expect(dot(related, 0, 2)).toBe(0)
  })

  it('uses word order through bigrams', () => {
    const pairs = featurizeText(['new york', 'york new'], { minDocumentFrequency: 1, charNgramMax: 0 }).matrix
    expect(pairs.indptr[1]).toBe(3)
    expect(dot(pairs, 0, 1)).toBeLessThan(0.99)
    const noBigrams = featurizeText(['new york', 'york new'], {
      charNgramMax: 0,
      wordBigrams: false,
      minDocumentFrequency: 1,
    })
    expect(dot(noBigrams.matrix, 0, 1)).toBeCloseTo(1, 5)
  })

  it('drops buckets below the minimum document frequency', () => {
    const texts = ['alpha beta', 'alpha gamma', 'alpha delta']
    const options = { charNgramMax: 0, wordBigrams: false }
    const kept = featurizeText(texts, { ...options, minDocumentFrequency: 2 })
    expect(kept.vocabularySize).toBe(1)
    expect(kept.matrix.indptr[3]).toBe(3)
    expect(kept.matrix.values[0]).toBeCloseTo(1, 6)
    expect(featurizeText(texts, { ...options, minDocumentFrequency: 1 }).vocabularySize).toBe(4)
  })

  it('weights rarer terms higher and reuses a reference IDF', () => {
    const options = { charNgramMax: 0, wordBigrams: false }
    const reference = featurizeText(['common rare', 'common', 'common'], {
      ...options,
      minDocumentFrequency: 1,
    })
    expect(reference.matrix.indptr[1]).toBe(2)
    const values = Array.from(reference.matrix.values.subarray(0, 2)).sort()
    expect(values[1] / values[0]).toBeCloseTo((Math.log(4 / 2) + 1) / (Math.log(4 / 4) + 1), 4)
    const reused = featurizeText(['common rare'], { ...options, idf: reference.idf })
    expect(Array.from(reused.matrix.values)).toEqual(Array.from(reference.matrix.values.subarray(0, 2)))
  })

  it('only reads the first maxChars characters of each text', () => {
    const prefix = 'the same opening words '.repeat(5)
    const capped = featurizeText([`${prefix}tail one`, `${prefix}different ending`], {
      maxChars: prefix.length,
    })
    expect(dot(capped.matrix, 0, 1)).toBeCloseTo(1, 5)
  })

  it('rejects invalid options with every problem listed', () => {
    const error = (() => {
      try {
        featurizeText(['x'], { hashBits: 40, charNgramMin: 6, idf: new Float32Array(3) })
      } catch (caught) {
        return caught
      }
    })()
    expect(isPoisonguardError(error) && error.code).toBe('INVALID_ARGUMENT')
    expect(String(error)).toMatch(/hashBits 40.*charNgramMin 6.*idf of length 3/)
  })

  it('featurizes the 6,046 SpamAssassin mails (33 MB) into bounded sparse rows', () => {
    const texts = spamRecords().map((record) => record.text)
    const features = featurizeText(texts)
    expect(features.matrix.rows).toBe(6_046)
    expect(features.vocabularySize).toBeGreaterThan(100_000)
    const meanNonZeros = features.matrix.indptr[6_046] / 6_046
    expect(meanNonZeros).toBeGreaterThan(500)
    expect(meanNonZeros).toBeLessThan(5_000)
    // The mails' millions of entries fill several blocks of raw counts; a row reads the same whichever block it
    // was counted in, as when its slice of the corpus is featurized alone in the same space.
    for (const first of [0, 2_900, 5_746]) {
      const slice = featurizeText(texts.slice(first, first + 300), { idf: features.idf }).matrix
      const whole = features.matrix
      const from = whole.indptr[first]
      const to = whole.indptr[first + 300]
      let differences = 0
      for (let row = 0; row <= 300; row++)
        if (slice.indptr[row] + from !== whole.indptr[first + row]) differences++
      for (let entry = 0; entry < to - from; entry++) {
        if (slice.indices[entry] !== whole.indices[from + entry]) differences++
        if (slice.values[entry] !== whole.values[from + entry]) differences++
      }
      expect([slice.indptr[300], differences]).toEqual([to - from, 0])
    }
  })
})

describe('featurizeTextWith', () => {
  const bytesOf = (array: Int32Array | Float32Array) =>
    Buffer.from(array.buffer, array.byteOffset, array.byteLength)

  /** Counts the texts in blocks cut at `cuts`, each with `countTexts` on its slice alone, as a worker does. */
  const countedIn =
    (cuts: readonly number[]): TextCounter =>
    async (texts, settings) => {
      const ends = [...cuts, texts.length]
      return ends.map((end, index) =>
        countTexts(texts.slice(index === 0 ? 0 : ends[index - 1], end), settings),
      )
    }

  it('gives the matrix of one pass, bit for bit, from blocks of rows counted apart', async () => {
    const texts = spamRecords()
      .slice(0, 1_500)
      .map((record) => record.text)
    // Uneven blocks, an empty one among them, and blocks holding more entries than a block of raw counts.
    const whole = featurizeText(texts)
    expect(whole.matrix.indptr[700]).toBeGreaterThan(2 ** 20)
    const joined = await featurizeTextWith(texts, countedIn([1, 1, 700, 701]))
    for (const name of ['indptr', 'indices', 'values'] as const)
      expect(bytesOf(joined.matrix[name]).equals(bytesOf(whole.matrix[name]))).toBe(true)
    expect(bytesOf(joined.idf).equals(bytesOf(whole.idf))).toBe(true)
    expect(joined.vocabularySize).toBe(whole.vocabularySize)
    const short = await featurizeTextWith(corpus, countedIn([3, 6]))
    expect(short.matrix).toEqual(featurizeText(corpus).matrix)
  })

  it('refuses blocks that do not cover the texts', async () => {
    const missing: TextCounter = async (texts, settings) => [countTexts(texts.slice(0, 4), settings)]
    await expect(featurizeTextWith(corpus, missing)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' })
  })
})

describe('isShortTextCorpus', () => {
  it('calls a corpus short by the median length of its texts in words', () => {
    const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index}`).join(' ')
    const short = words(shortTextWordCount)
    const long = words(shortTextWordCount + 1)
    expect(isShortTextCorpus([short, short, long])).toBe(true)
    expect(isShortTextCorpus([short, long, long])).toBe(false)
    expect(isShortTextCorpus(corpus)).toBe(true)
  })

  it('calls the SpamAssassin mails long', () => {
    expect(isShortTextCorpus(spamRecords().map((record) => record.text))).toBe(false)
  })
})
