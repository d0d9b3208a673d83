import { combineHashes, mixHash } from '../util/hashing.js'
import { WordCursor } from './words.js'

export interface PhraseOptions {
  /** Longest phrase in words; phrases of 1 to this many consecutive words are hashed. */
  readonly maxWords: number
  /** Only the first this many characters are read, so a giant text does not dominate run time. */
  readonly maxChars?: number
}

/**
 * Distinct hashes of every phrase of 1 to `maxWords` consecutive words (the one tokenizer's words), ascending;
 * longer phrases chain the hashes of their words, so a phrase and its parts hash apart.
 */
export function phraseHashes(text: string, options: PhraseOptions): Uint32Array {
  const cursor = new WordCursor(text, { maxChars: options.maxChars })
  const window = new Uint32Array(options.maxWords)
  const seen = new Set<number>()
  let count = 0
  while (cursor.next()) {
    window.copyWithin(1, 0)
    window[0] = mixHash(cursor.hash)
    count++
    let hash = window[0]
    seen.add(hash)
    for (let length = 2; length <= Math.min(options.maxWords, count); length++) {
      hash = combineHashes(window[length - 1], hash)
      seen.add(hash)
    }
  }
  return Uint32Array.from(seen).sort()
}

/** The phrases of `text` whose hash (as `phraseHashes` computes it) is in `wanted`, as written in lower case. */
export function phrasesWithHash(
  text: string,
  wanted: ReadonlySet<number>,
  options: PhraseOptions,
): Map<number, string> {
  const cursor = new WordCursor(text, { maxChars: options.maxChars })
  const hashes = new Uint32Array(options.maxWords)
  const words: string[] = []
  const found = new Map<number, string>()
  while (cursor.next()) {
    hashes.copyWithin(1, 0)
    hashes[0] = mixHash(cursor.hash)
    words.unshift(cursor.word())
    if (words.length > options.maxWords) words.pop()
    let hash = hashes[0]
    for (let length = 1; length <= words.length; length++) {
      if (length > 1) hash = combineHashes(hashes[length - 1], hash)
      if (wanted.has(hash) && !found.has(hash)) found.set(hash, words.slice(0, length).reverse().join(' '))
    }
  }
  return found
}
