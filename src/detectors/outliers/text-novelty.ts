import { WordCursor } from '../../text/words.js'
import { combineHashes, mixHash } from '../../util/hashing.js'

/**
 * Occurrences per hashed key in a table of 2-bit counters saturating at 3, indexed by the key's low bits: four
 * counters a byte keep the table small enough to stay in cache, and collisions only ever make a pair look
 * less novel, never more.
 */
interface OccurrenceCounts {
  readonly packed: Uint8Array
  readonly mask: number
}

function createOccurrenceCounts(bits: number): OccurrenceCounts {
  return { packed: new Uint8Array(2 ** (bits - 2)), mask: 2 ** bits - 1 }
}

function countOccurrence(table: OccurrenceCounts, key: number): void {
  const slot = key & table.mask
  const shift = (slot & 3) * 2
  if (((table.packed[slot >>> 2] >>> shift) & 3) < 3) table.packed[slot >>> 2] += 1 << shift
}

function occurrences(table: OccurrenceCounts, key: number): number {
  const slot = key & table.mask
  return (table.packed[slot >>> 2] >>> ((slot & 3) * 2)) & 3
}

/** Hashed words as written (`whitespace` words) in the first `maxChars` characters of every text, flat. */
function tokenize(texts: readonly string[], maxChars: number) {
  const offsets = new Int32Array(texts.length + 1)
  let words = new Uint32Array(1 << 16)
  let count = 0
  for (let row = 0; row < texts.length; row++) {
    const end = Math.min(texts[row].length, maxChars)
    if (count + end / 2 + 1 > words.length) {
      const grown = new Uint32Array(Math.max(words.length * 2, count + end))
      grown.set(words.subarray(0, count))
      words = grown
    }
    const cursor = new WordCursor(texts[row], { definition: 'whitespace', maxChars })
    while (cursor.next()) words[count++] = mixHash(cursor.hash)
    offsets[row + 1] = count
  }
  return { offsets, words: words.subarray(0, count) }
}

/** Word-order novelty of every text and the corpus-wide share it is judged against. */
export interface TextNovelty {
  /** Shrunken share of each text's pairs of common words that no other text has side by side, in [0,1]. */
  readonly scores: Float32Array
  /** The corpus-wide share the scores shrink towards. */
  readonly typicalShare: number
}

/** A word counts as common from this many occurrences on (the counters saturate at 3). */
const commonWordOccurrences = 3
/** Pseudo-pairs at the corpus rate added to every text, so a text with few common-word pairs stays typical. */
const shrinkagePairs = 10

/**
 * Word-order novelty of every text: among consecutive pairs of words that each occur at least three times in
 * the corpus, the share that occurs side by side nowhere else. Real writing reuses the
 * phrases of its corpus; word salad made of the corpus's own words does not, so it scores near 1 while its
 * words, one by one, look ordinary. A bigram language model's surprise, reduced to occurrence counts.
 * @see Wenzek et al. CCNet: Extracting High Quality Monolingual Datasets from Web Crawl Data. LREC 2020.
 */
export function scoreTextNovelty(texts: readonly string[], maxChars: number): TextNovelty {
  const { offsets, words } = tokenize(texts, maxChars)
  const unigrams = createOccurrenceCounts(22)
  const bigrams = createOccurrenceCounts(24)
  const pairs = new Uint32Array(words.length)
  for (let row = 0; row < texts.length; row++) {
    for (let index = offsets[row]; index < offsets[row + 1]; index++) {
      countOccurrence(unigrams, words[index])
      if (index === offsets[row]) continue
      pairs[index] = combineHashes(words[index - 1], words[index])
      countOccurrence(bigrams, pairs[index])
    }
  }
  const novel = new Float64Array(texts.length)
  const common = new Float64Array(texts.length)
  let novelTotal = 0
  let commonTotal = 0
  for (let row = 0; row < texts.length; row++) {
    // Each word is looked up once, as the second of one pair and then as the first of the next.
    let previousCommon =
      offsets[row] < offsets[row + 1] && occurrences(unigrams, words[offsets[row]]) >= commonWordOccurrences
    for (let index = offsets[row] + 1; index < offsets[row + 1]; index++) {
      const isCommon = occurrences(unigrams, words[index]) >= commonWordOccurrences
      if (previousCommon && isCommon) {
        common[row]++
        if (occurrences(bigrams, pairs[index]) <= 1) novel[row]++
      }
      previousCommon = isCommon
    }
    novelTotal += novel[row]
    commonTotal += common[row]
  }
  const typicalShare = commonTotal > 0 ? novelTotal / commonTotal : 0
  const scores = Float32Array.from(
    novel,
    (count, row) => (count + shrinkagePairs * typicalShare) / (common[row] + shrinkagePairs),
  )
  return { scores, typicalShare }
}
