import type { FeatureMatrix } from '../data/matrix.js'

/** Names of the columns `textStyleFeatures` returns, in order. */
export const textStyleNames = [
  'characters',
  'words',
  'longest word',
  'upper-case share of letters',
  'all-capital words',
  'digits',
  'non-ASCII characters',
  'emphasis marks (! ? $ % *)',
  'other marks (= _ ~ # | [)',
  'runs of spaces',
  'leading tag (a short word and a colon)',
] as const

const leadingTag = /^\s*\p{L}{1,4}\s*:/u
const emphasis = new Set(['!', '?', '$', '%', '*'])
const otherMarks = new Set(['=', '_', '~', '#', '|', '['])

function isUpper(char: string): boolean {
  return char !== char.toLowerCase() && char === char.toUpperCase()
}

function isLetter(char: string): boolean {
  return char.toLowerCase() !== char.toUpperCase()
}

/** Counts of one word's letters and capitals, folded into the text's columns. */
function addWord(word: string, out: Float32Array, base: number): void {
  if (word.length === 0) return
  out[base + 1]++
  out[base + 2] = Math.max(out[base + 2], word.length)
  let letters = 0
  let capitals = 0
  for (const char of word) {
    if (!isLetter(char)) continue
    letters++
    if (isUpper(char)) capitals++
  }
  if (letters >= 3 && capitals === letters) out[base + 4]++
}

/**
 * How each text is written rather than what it says, one row of `textStyleNames` per text: lengths, capitals,
 * digits, marks, foreign characters, a reply or forward tag. Few words say little about a short text; its style
 * says more (spam subject lines shout), and trees read it beside the words' linear model.
 */
export function textStyleFeatures(texts: readonly string[]): FeatureMatrix {
  const cols = textStyleNames.length
  const data = new Float32Array(texts.length * cols)
  texts.forEach((text, row) => {
    const base = row * cols
    let letters = 0
    let capitals = 0
    let word = ''
    let spaceRun = 0
    for (const char of text) {
      data[base]++
      if (/\s/.test(char)) {
        addWord(word, data, base)
        word = ''
        if (++spaceRun === 2) data[base + 9]++
        continue
      }
      spaceRun = 0
      word += char
      if (isLetter(char)) {
        letters++
        if (isUpper(char)) capitals++
      } else if (char >= '0' && char <= '9') data[base + 5]++
      if (char.charCodeAt(0) > 127) data[base + 6]++
      if (emphasis.has(char)) data[base + 7]++
      if (otherMarks.has(char)) data[base + 8]++
    }
    addWord(word, data, base)
    data[base + 3] = letters > 0 ? capitals / letters : 0
    data[base + 10] = leadingTag.test(text) ? 1 : 0
  })
  return { data, rows: texts.length, cols }
}
