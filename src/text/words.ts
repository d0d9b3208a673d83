import { FNV_OFFSET_BASIS, FNV_PRIME } from '../util/hashing.js'

/**
 * What a word is; the one tokenizer below reads both.
 * - `alphanumeric` (the default): a maximal run of Unicode letters and numbers, lower-cased. Words as a model
 *   or a vocabulary sees them: text features, trigger tokens, token shares in drift checks.
 * - `whitespace`: a maximal run of anything but spaces and control characters, case and punctuation kept.
 *   Pieces of text as written, which is what copying and splicing move around: an attack splices whole
 *   pieces, a copied text repeats them, and a piece such as a URL or `Subject:` must stay one word. Split
 *   into letters, a URL spliced into word salad would add its own ordinary inner word pairs and hide the
 *   salad's novelty, and two texts differing throughout in case or punctuation would share shingles they do
 *   not share as written.
 */
export type WordDefinition = 'alphanumeric' | 'whitespace'

/*
 * Local aliases of the hashing imports used per character: some module runners (vitest's among them) turn
 * every read of an imported binding into a getter call, which costs more than the hashing itself.
 */
const BASIS = FNV_OFFSET_BASIS
const PRIME = FNV_PRIME

/** Kinds of UTF-16 code unit besides 0 (between words): inside a word, and inside one and a number. */
const WORD_UNIT = 1
const NUMBER_UNIT = 2

/** Tables over all 65,536 code units: a table read per character is far faster than a regular expression. */
export interface WordTables {
  /** 0 for a separator, otherwise part of a word (2 when the unit is a Unicode number). */
  readonly unitKind: Uint8Array
  /** The unit a word is compared and hashed by: lower-cased for `alphanumeric`, itself for `whitespace`. */
  readonly fold: Uint16Array
}

const tables: Partial<Record<WordDefinition, WordTables>> = {}

/**
 * Surrogates are separators for `alphanumeric`, so letters outside the Basic Multilingual Plane do not form
 * words; a unit keeps its case when lower-casing it alone would change the length.
 */
function buildTables(definition: WordDefinition): WordTables {
  const unitKind = new Uint8Array(65_536)
  const fold = new Uint16Array(65_536)
  const letter = /^\p{L}$/u
  const number = /^\p{N}$/u
  for (let code = 0; code < 65_536; code++) {
    const char = String.fromCharCode(code)
    fold[code] = code
    const surrogate = code >= 0xd800 && code <= 0xdfff
    const isNumber = !surrogate && number.test(char)
    if (definition === 'whitespace') {
      if (code > 32) unitKind[code] = isNumber ? NUMBER_UNIT : WORD_UNIT
      continue
    }
    const lowered = char.toLowerCase()
    if (lowered.length === 1) fold[code] = lowered.charCodeAt(0)
    if (!surrogate) unitKind[code] = isNumber ? NUMBER_UNIT : letter.test(char) ? WORD_UNIT : 0
  }
  return { unitKind, fold }
}

/** The tables of a definition of a word, built on first use. */
export function wordTables(definition: WordDefinition = 'alphanumeric'): WordTables {
  tables[definition] ??= buildTables(definition)
  return tables[definition]
}

/** Whether the UTF-16 code unit `code` belongs to a word, rather than separating words, by `definition`. */
export function isWordUnit(code: number, definition: WordDefinition = 'alphanumeric'): boolean {
  return wordTables(definition).unitKind[code] !== 0
}

export interface WordOptions {
  readonly definition?: WordDefinition
  /** Only the first `maxChars` characters are read; a word cut there ends there. */
  readonly maxChars?: number
}

/**
 * Walks the words of a text in order: after each successful `next()`, the word is `text[start, end)`, `hash`
 * the FNV-1a hash of its folded units (unsigned 32-bit, not yet mixed) and `hasNumber` whether it holds a
 * number.
 * A cursor, not a callback, so the callers' per-word work stays in their own loop's locals.
 */
export class WordCursor {
  start = 0
  end = 0
  hash = 0
  hasNumber = false
  private readonly unitKind: Uint8Array
  private readonly fold: Uint16Array
  private readonly length: number

  constructor(
    readonly text: string,
    options: WordOptions = {},
  ) {
    const tables = wordTables(options.definition)
    this.unitKind = tables.unitKind
    this.fold = tables.fold
    this.length = Math.min(text.length, options.maxChars ?? text.length)
  }

  /** Moves to the next word; false when none is left. */
  next(): boolean {
    const { text, unitKind, fold, length } = this
    let position = this.end
    while (position < length && unitKind[text.charCodeAt(position)] === 0) position++
    if (position >= length) return false
    this.start = position
    let hash = BASIS
    let hasNumber = false
    for (; position < length; position++) {
      const code = text.charCodeAt(position)
      const kind = unitKind[code]
      if (kind === 0) break
      hasNumber ||= kind === NUMBER_UNIT
      hash = Math.imul(hash ^ fold[code], PRIME)
    }
    this.end = position
    this.hash = hash >>> 0
    this.hasNumber = hasNumber
    return true
  }

  /** The current word as compared and hashed: its folded units (lower-cased for `alphanumeric`). */
  word(): string {
    const { text, fold, start, end } = this
    const chunkLength = 1024
    let word = ''
    for (let chunk = start; chunk < end; chunk += chunkLength) {
      const units = new Uint16Array(Math.min(chunkLength, end - chunk))
      for (let index = 0; index < units.length; index++) units[index] = fold[text.charCodeAt(chunk + index)]
      word += String.fromCharCode(...units)
    }
    return word
  }
}
