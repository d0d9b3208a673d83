import { isWordUnit } from '../text/words.js'
import type { Rng } from '../util/rng.js'

/** Where a phrase goes in a text: a uniformly chosen word boundary, the very start, or the very end. */
export type InsertPosition = 'random' | 'start' | 'end'

/** Edits move whole words as written, the `whitespace` words the detectors of copies and word salad read. */
function isSpace(code: number): boolean {
  return !isWordUnit(code, 'whitespace')
}

/** Offsets at which a word starts. */
function wordStarts(text: string): number[] {
  const starts: number[] = []
  for (let index = 0; index < text.length; index++) {
    if (!isSpace(text.charCodeAt(index)) && (index === 0 || isSpace(text.charCodeAt(index - 1))))
      starts.push(index)
  }
  return starts
}

function append(text: string, phrase: string): string {
  if (text.length === 0) return phrase
  return isSpace(text.charCodeAt(text.length - 1)) ? `${text}${phrase}` : `${text} ${phrase}`
}

/** Inserts `phrase` as whole words: before a word, at the start, or at the end, never inside a word. */
export function insertPhrase(text: string, phrase: string, position: InsertPosition, rng: Rng): string {
  if (position === 'end' || text.length === 0) return append(text, phrase)
  if (position === 'start') return isSpace(text.charCodeAt(0)) ? `${phrase}${text}` : `${phrase} ${text}`
  const starts = wordStarts(text)
  const choice = rng.int(starts.length + 1)
  if (choice === starts.length) return append(text, phrase)
  const offset = starts[choice]
  return `${text.slice(0, offset)}${phrase} ${text.slice(offset)}`
}

/** The word that starts at or after a random offset of `text`, or undefined for a text without words. */
function randomWord(text: string, rng: Rng): string | undefined {
  if (text.length === 0) return undefined
  let start = rng.int(text.length)
  while (start > 0 && !isSpace(text.charCodeAt(start - 1))) start--
  while (start < text.length && isSpace(text.charCodeAt(start))) start++
  if (start === text.length) {
    start = 0
    while (start < text.length && isSpace(text.charCodeAt(start))) start++
    if (start === text.length) return undefined
  }
  let end = start
  while (end < text.length && !isSpace(text.charCodeAt(end))) end++
  return text.slice(start, end)
}

/** A near-duplicate: the text with one of its own words repeated at a random word boundary. */
export function nearDuplicateText(text: string, rng: Rng): string {
  const word = randomWord(text, rng)
  return word === undefined ? append(text, '.') : insertPhrase(text, word, 'random', rng)
}

/** Noise text: `wordCount` words, each taken from a random text of the corpus. */
export function noiseText(corpus: readonly string[], wordCount: number, rng: Rng): string {
  const words: string[] = []
  for (let attempt = 0; words.length < wordCount && attempt < wordCount * 4; attempt++) {
    const word = randomWord(corpus[rng.int(corpus.length)], rng)
    if (word !== undefined) words.push(word)
  }
  return words.join(' ')
}
