import { describe, expect, it } from 'vitest'
import { fnv1a } from '../util/hashing.js'
import { isWordUnit, WordCursor, type WordOptions } from './words.js'

interface SeenWord {
  text: string
  folded: string
  hash: number
  hasNumber: boolean
}

function wordsOf(text: string, options: WordOptions = {}): SeenWord[] {
  const found: SeenWord[] = []
  const words = new WordCursor(text, options)
  while (words.next()) {
    const { start, end, hash, hasNumber } = words
    found.push({ text: text.slice(start, end), folded: words.word(), hash, hasNumber })
  }
  return found
}

describe('alphanumeric words', () => {
  it('are runs of Unicode letters and digits, lower-cased for comparing and hashing', () => {
    const words = wordsOf('Re: XQZ-deal, 50% off… Ärger!')
    expect(words.map((word) => word.text)).toEqual(['Re', 'XQZ', 'deal', '50', 'off', 'Ärger'])
    expect(words.map((word) => word.folded)).toEqual(['re', 'xqz', 'deal', '50', 'off', 'ärger'])
    expect(words.map((word) => word.hasNumber)).toEqual([false, false, false, true, false, false])
  })

  it('hash to the FNV-1a of the lower-cased word (the published vector for "foobar")', () => {
    const [word] = wordsOf('FooBar')
    expect(word.hash).toBe(0xbf9cf968)
    expect(wordsOf('ÄRGER')[0].hash).toBe(fnv1a('ärger'))
  })

  it('end at the character limit and leave letters outside the Basic Multilingual Plane out', () => {
    expect(wordsOf('alpha beta', { maxChars: 8 }).map((word) => word.text)).toEqual(['alpha', 'be'])
    expect(wordsOf('a𝐀b').map((word) => word.text)).toEqual(['a', 'b'])
    expect(wordsOf('  ,;  ')).toEqual([])
  })
})

describe('whitespace words', () => {
  it('are pieces of text between spaces and control characters, case and punctuation kept', () => {
    const words = wordsOf('Subject: FREE\thttp://x.io/a\u0001b  now', { definition: 'whitespace' })
    expect(words.map((word) => word.folded)).toEqual(['Subject:', 'FREE', 'http://x.io/a', 'b', 'now'])
    expect(words[0].hash).toBe(fnv1a('Subject:'))
    expect(wordsOf('a𝐀b', { definition: 'whitespace' }).map((word) => word.text)).toEqual(['a𝐀b'])
  })

  it('agree with isWordUnit on what separates them', () => {
    expect(isWordUnit(0x2c, 'whitespace')).toBe(true)
    expect(isWordUnit(0x2c)).toBe(false)
    expect(isWordUnit(0x20, 'whitespace')).toBe(false)
    expect(isWordUnit(0x0b, 'whitespace')).toBe(false)
    expect(isWordUnit(0xe9)).toBe(true)
  })
})
