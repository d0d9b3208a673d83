import { WordCursor, wordTables } from '../text/words.js'
import { combineHashes, FNV_PRIME, mixHash } from '../util/hashing.js'

/*
 * Local aliases of the hashing imports used per character: some module runners (vitest's among them) turn every
 * read of an imported binding into a getter call, which costs more than the hashing itself in these loops.
 */
const PRIME = FNV_PRIME
const mix = mixHash
const combine = combineHashes

/** Settings the counting kernel trusts; validated in `featurizeText`. */
export interface CountSettings {
  readonly bucketMask: number
  readonly maxChars: number
  readonly wordBigrams: boolean
  readonly charNgramMin: number
  readonly charNgramMax: number
  readonly maxCharNgramWordLength: number
  readonly maxCharNgramTokens: number
}

/** Per-document scratch space, reused across documents so counting allocates nothing per n-gram. */
export interface CountScratch {
  readonly counts: Float32Array
  readonly touched: Int32Array
  touchedCount: number
}

/** Separate start values keep words, bigrams and character n-grams from sharing buckets systematically. */
const CHAR_NGRAM_BASIS = 0x9747b28c
const BOUNDARY_START = 0x3c
const BOUNDARY_END = 0x3e

/** Zeroed scratch space for `countTextFeatures` over `bucketCount` buckets. */
export function createCountScratch(bucketCount: number): CountScratch {
  return { counts: new Float32Array(bucketCount), touched: new Int32Array(bucketCount), touchedCount: 0 }
}

function addBucket(scratch: CountScratch, bucket: number): void {
  if (scratch.counts[bucket] === 0) scratch.touched[scratch.touchedCount++] = bucket
  scratch.counts[bucket]++
}

/**
 * Character n-grams of `<token>` (fastText-style boundary marks) for the token `text[start, end)`, hashed with one
 * rolling FNV pass per start position so each n-gram costs one multiply per extra character, not a substring.
 */
function addCharNgrams(
  text: string,
  start: number,
  end: number,
  fold: Uint16Array,
  settings: CountSettings,
  scratch: CountScratch,
) {
  const paddedLength = end - start + 2
  const { charNgramMin, charNgramMax, bucketMask } = settings
  for (let first = 0; first + charNgramMin <= paddedLength; first++) {
    let hash = CHAR_NGRAM_BASIS
    const last = Math.min(paddedLength, first + charNgramMax)
    for (let position = first; position < last; position++) {
      const code =
        position === 0
          ? BOUNDARY_START
          : position === paddedLength - 1
            ? BOUNDARY_END
            : fold[text.charCodeAt(start + position - 1)]
      hash = Math.imul(hash ^ code, PRIME)
      if (position - first + 1 >= charNgramMin) addBucket(scratch, mix(hash >>> 0) & bucketMask)
    }
  }
}

/**
 * Counts hashed word unigrams, word bigrams and character n-grams of one text into `scratch`; the words are
 * those of `WordCursor` (lower-cased runs of Unicode letters and digits) within the first `maxChars`
 * characters.
 */
export function countTextFeatures(text: string, settings: CountSettings, scratch: CountScratch): void {
  const { bucketMask, wordBigrams, maxCharNgramWordLength, charNgramMax } = settings
  const { fold } = wordTables()
  const words = new WordCursor(text, { maxChars: settings.maxChars })
  let previousHash = -1
  let charNgramTokens = 0
  while (words.next()) {
    const { start, end, hash } = words
    addBucket(scratch, mix(hash) & bucketMask)
    if (wordBigrams && previousHash >= 0) addBucket(scratch, combine(previousHash, hash) & bucketMask)
    previousHash = hash
    // Spelling features are for words: numbers, dates and identifiers would add many unique, useless n-grams.
    if (
      charNgramMax > 0 &&
      !words.hasNumber &&
      end - start <= maxCharNgramWordLength &&
      charNgramTokens++ < settings.maxCharNgramTokens
    ) {
      addCharNgrams(text, start, end, fold, settings, scratch)
    }
  }
}
