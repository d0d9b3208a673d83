import { WordCursor } from '../../text/words.js'
import { combineHashes, mixHash } from '../../util/hashing.js'
import { BucketSet, type Incidence, IncidenceBuilder } from './incidence.js'

/** Word and word-pair hashes land in this many buckets. */
export const tokenBucketBits = 20
/** Characters of each text that are read; a model learns nothing from a trigger beyond its own, shorter limit. */
export const maxTextChars = 50_000

const bucketMask = (1 << tokenBucketBits) - 1

/** The words of the first `maxTextChars` characters of a text. */
function wordsOf(text: string): WordCursor {
  return new WordCursor(text, { maxChars: maxTextChars })
}

/** Bucket of one word, from its mixed hash. */
export function wordBucket(wordHash: number): number {
  return wordHash & bucketMask
}

/** Bucket of two consecutive words, order-sensitive. */
export function pairBucket(firstHash: number, secondHash: number): number {
  return combineHashes(firstHash, secondHash) & bucketMask
}

/** Which word and word-pair buckets every text holds (each at most once per text). */
export function extractTokenFeatures(texts: readonly string[]): Incidence {
  const builder = new IncidenceBuilder(texts.length, 1 << tokenBucketBits)
  // A set sized to each text stays in cache, where a mark per bucket would be a random access a token.
  const seen = new BucketSet(maxTextChars + 1)
  const addOnce = (bucket: number) => {
    if (seen.insert(bucket)) builder.addNew(bucket)
  }
  for (const text of texts) {
    // A text of c characters holds at most c/2 + 1 words, and as many word pairs.
    seen.clear(Math.min(text.length, maxTextChars) + 2)
    const words = wordsOf(text)
    let previous = -1
    while (words.next()) {
      const hash = mixHash(words.hash)
      addOnce(wordBucket(hash))
      if (previous >= 0) addOnce(pairBucket(previous, hash))
      previous = hash
    }
    builder.endRow()
  }
  return builder.build()
}

/**
 * The word or word pair behind a bucket: the most frequent one that hashes to it among the given texts (its
 * carriers), lower-cased, or undefined when none does.
 */
export function nameTokenBucket(texts: readonly string[], rows: ArrayLike<number>, bucket: number) {
  const counts = new Map<string, number>()
  for (let index = 0; index < rows.length; index++) {
    const text = texts[rows[index]]
    const seen = new Set<string>()
    let previous = -1
    let previousWord = ''
    const words = wordsOf(text)
    while (words.next()) {
      const hash = mixHash(words.hash)
      const word = words.word()
      if (wordBucket(hash) === bucket) seen.add(word)
      if (previous >= 0 && pairBucket(previous, hash) === bucket) seen.add(`${previousWord} ${word}`)
      previous = hash
      previousWord = word
    }
    for (const name of seen) counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  let best: string | undefined
  let bestCount = 0
  for (const [name, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && name < best)) {
      best = name
      bestCount = count
    }
  }
  return best
}
