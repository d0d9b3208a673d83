import { WordCursor, wordTables } from '../text/words.js'
import { FNV_OFFSET_BASIS, FNV_PRIME } from '../util/hashing.js'

/** Token strings and their ids, shared by every corpus compared with each other; grows as texts are read. */
export interface TokenVocabulary {
  readonly ids: Map<string, number>
  readonly tokens: string[]
}

/** Texts as sets of token ids: document d holds `tokens[offsets[d] .. offsets[d+1])`, sorted, without repeats. */
export interface TokenizedCorpus {
  readonly vocabulary: TokenVocabulary
  readonly offsets: Int32Array
  readonly tokens: Int32Array
  readonly documentCount: number
}

export interface TokenizeOptions {
  /** Only the first `maxChars` characters of a text count (as in `featurizeText`); default 20,000. */
  maxChars?: number
  /** Longer runs (base64 blobs, hashes) are skipped; default 40. */
  maxTokenLength?: number
}

/** An empty vocabulary, to be shared by the corpora that will be compared. */
export function createVocabulary(): TokenVocabulary {
  return { ids: new Map(), tokens: [] }
}

/**
 * The vocabulary's token ids by the FNV-1a hash of their units (one id, or several that share a hash), so a word
 * the vocabulary holds is found without making its string: most words of a text are known ones, and making each
 * one's string and hashing it again in a Map cost more than the rest of tokenising.
 */
interface HashIndex {
  readonly byHash: Map<number, number | number[]>
  /** Tokens `0 .. indexed - 1` are in `byHash`; the vocabulary may have grown since. */
  indexed: number
}

const hashIndexes = new WeakMap<TokenVocabulary, HashIndex>()

// Local aliases: some module runners (vitest's among them) turn each read of an imported binding into a call.
const BASIS = FNV_OFFSET_BASIS
const PRIME = FNV_PRIME

/** The hash `WordCursor` gives a word whose folded units are `token`'s. */
function hashOfToken(token: string): number {
  let hash = BASIS
  for (let index = 0; index < token.length; index++) hash = Math.imul(hash ^ token.charCodeAt(index), PRIME)
  return hash >>> 0
}

function addToIndex(index: HashIndex, hash: number, id: number): void {
  const held = index.byHash.get(hash)
  if (held === undefined) index.byHash.set(hash, id)
  else if (typeof held === 'number') index.byHash.set(hash, [held, id])
  else held.push(id)
}

/** The hash index of a vocabulary, brought up to date with the tokens added since it was last read. */
function hashIndexOf(vocabulary: TokenVocabulary): HashIndex {
  let index = hashIndexes.get(vocabulary)
  if (!index) {
    index = { byHash: new Map(), indexed: 0 }
    hashIndexes.set(vocabulary, index)
  }
  for (; index.indexed < vocabulary.tokens.length; index.indexed++)
    addToIndex(index, hashOfToken(vocabulary.tokens[index.indexed]), index.indexed)
  return index
}

/** Whether `token` is the cursor's current word, folded as `WordCursor.word()` folds it. */
function isCurrentWord(words: WordCursor, fold: Uint16Array, token: string): boolean {
  if (token.length !== words.end - words.start) return false
  const { text, start } = words
  for (let index = 0; index < token.length; index++)
    if (fold[text.charCodeAt(start + index)] !== token.charCodeAt(index)) return false
  return true
}

/** The id of the cursor's current word, added to the vocabulary (and its index) when new. */
function wordId(vocabulary: TokenVocabulary, index: HashIndex, words: WordCursor, fold: Uint16Array): number {
  const held = index.byHash.get(words.hash)
  if (typeof held === 'number') {
    if (isCurrentWord(words, fold, vocabulary.tokens[held])) return held
  } else if (held !== undefined) {
    for (const id of held) if (isCurrentWord(words, fold, vocabulary.tokens[id])) return id
  }
  const id = vocabulary.tokens.length
  const token = words.word()
  vocabulary.ids.set(token, id)
  vocabulary.tokens.push(token)
  addToIndex(index, words.hash, id)
  index.indexed = id + 1
  return id
}

/**
 * Splits each text into its distinct tokens, the words of `WordCursor` (lower-cased runs of Unicode letters and
 * digits, as in `featurizeText`). Presence, not counts, is kept: one long mail repeating a word must
 * not outweigh many mails, and documents, unlike tokens within a document, are independent of each other.
 */
export function tokenizeTexts(
  texts: readonly string[],
  vocabulary: TokenVocabulary = createVocabulary(),
  options: TokenizeOptions = {},
): TokenizedCorpus {
  const maxChars = options.maxChars ?? 20_000
  const maxTokenLength = options.maxTokenLength ?? 40
  const offsets = new Int32Array(texts.length + 1)
  let tokens: Int32Array<ArrayBuffer> = new Int32Array(1 << 16)
  let length = 0
  let lastSeen: Int32Array<ArrayBuffer> = new Int32Array(1 << 12).fill(-1)
  const index = hashIndexOf(vocabulary)
  const { fold } = wordTables()
  for (let document = 0; document < texts.length; document++) {
    const start = length
    const words = new WordCursor(texts[document] ?? '', { maxChars })
    while (words.next()) {
      if (words.end - words.start > maxTokenLength) continue
      const id = wordId(vocabulary, index, words, fold)
      if (id >= lastSeen.length) lastSeen = grow(lastSeen, id + 1, -1)
      if (lastSeen[id] === document) continue
      lastSeen[id] = document
      if (length === tokens.length) tokens = grow(tokens, length + 1, 0)
      tokens[length++] = id
    }
    tokens.subarray(start, length).sort()
    offsets[document + 1] = length
  }
  return { vocabulary, offsets, tokens: tokens.slice(0, length), documentCount: texts.length }
}

function grow(array: Int32Array, minLength: number, fill: number): Int32Array<ArrayBuffer> {
  const larger = new Int32Array(Math.max(minLength, array.length * 2)).fill(fill)
  larger.set(array)
  return larger
}

/** The chosen documents, in the given order, sharing the corpus's vocabulary. */
export function selectDocuments(corpus: TokenizedCorpus, documents: ArrayLike<number>): TokenizedCorpus {
  const offsets = new Int32Array(documents.length + 1)
  for (let index = 0; index < documents.length; index++) {
    const document = documents[index]
    offsets[index + 1] = offsets[index] + corpus.offsets[document + 1] - corpus.offsets[document]
  }
  const tokens = new Int32Array(offsets[documents.length])
  for (let index = 0; index < documents.length; index++) {
    const document = documents[index]
    tokens.set(corpus.tokens.subarray(corpus.offsets[document], corpus.offsets[document + 1]), offsets[index])
  }
  return { vocabulary: corpus.vocabulary, offsets, tokens, documentCount: documents.length }
}

/** The documents of several corpora (sharing one vocabulary) one after another. */
export function concatenateCorpora(corpora: readonly TokenizedCorpus[]): TokenizedCorpus {
  const documentCount = corpora.reduce((sum, corpus) => sum + corpus.documentCount, 0)
  const offsets = new Int32Array(documentCount + 1)
  const tokens = new Int32Array(corpora.reduce((sum, corpus) => sum + corpus.tokens.length, 0))
  let document = 0
  let length = 0
  for (const corpus of corpora) {
    tokens.set(corpus.tokens, length)
    for (let index = 1; index <= corpus.documentCount; index++)
      offsets[document + index] = length + corpus.offsets[index]
    document += corpus.documentCount
    length += corpus.tokens.length
  }
  return { vocabulary: corpora[0].vocabulary, offsets, tokens, documentCount }
}

/**
 * Ids of the `count` most frequent tokens, most frequent first (ties by id): a histogram of the frequencies finds
 * the cut-off in linear time, where sorting a vocabulary of 100,000+ tokens would dominate a test.
 */
export function topTokens(frequencies: Int32Array, count: number): Int32Array {
  let highest = 0
  for (let token = 0; token < frequencies.length; token++) highest = Math.max(highest, frequencies[token])
  const histogram = new Int32Array(highest + 1)
  for (let token = 0; token < frequencies.length; token++) histogram[frequencies[token]]++
  let cutoff = highest
  let above = histogram[highest]
  while (cutoff > 1 && above < count) above += histogram[--cutoff]
  const chosen: number[] = []
  for (let token = 0; token < frequencies.length; token++)
    if (frequencies[token] >= cutoff && frequencies[token] > 0) chosen.push(token)
  chosen.sort((a, b) => frequencies[b] - frequencies[a] || a - b)
  return Int32Array.from(chosen.slice(0, count))
}

/** How many documents hold each token id (ids beyond the array's length hold none). */
export function documentFrequencies(corpus: TokenizedCorpus): Int32Array {
  const frequencies = new Int32Array(corpus.vocabulary.tokens.length)
  const tokens = corpus.tokens
  for (let index = 0; index < tokens.length; index++) frequencies[tokens[index]]++
  return frequencies
}
