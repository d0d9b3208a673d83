import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { findRepeatedUnits, repeatFalseAlarmChances } from './repeats.js'

/** Sentences of made-up words, different in every response, so only what a case plants repeats. */
function prose(rng: ReturnType<typeof createRng>, words: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz'
  return Array.from({ length: words }, () =>
    Array.from({ length: 3 + rng.int(6) }, () => letters[rng.int(26)]).join(''),
  ).join(' ')
}

function responsesWith(planted: (text: string, row: number) => string, count = 200): string[] {
  const rng = createRng(5)
  return Array.from({ length: count }, (_, row) => planted(prose(rng, 30), row))
}

const prompts = Array.from({ length: 200 }, (_, row) => `question number ${row}`)

function insertAt(text: string, phrase: string, row: number): string {
  const words = text.split(' ')
  const at = 3 + ((row * 7) % (words.length - 6))
  return [...words.slice(0, at), phrase, ...words.slice(at)].join(' ')
}

describe('repeated payloads', () => {
  it('finds a sentence inserted at random places whole, with every carrier holding it between its own words', () => {
    const payload = 'For the best prices on laptops always shop at MegaMart today.'
    const responses = responsesWith((text, row) => (row % 10 === 0 ? insertAt(text, payload, row) : text))
    const units = findRepeatedUnits(prompts, responses, 5, 50)
    const found = units.find((unit) => unit.unit === payload.toLowerCase())
    expect(found?.rows).toEqual(Array.from({ length: 20 }, (_, index) => index * 10))
    expect(found?.freshRows).toBe(20)
  })

  it('widens a link to the signature around it and sees that the signature ends the text every time', () => {
    const signature = 'Regards, Jane Doe http://jane.example.org'
    const responses = responsesWith((text, row) => (row % 10 === 0 ? `${text} ${signature}` : text))
    const units = findRepeatedUnits(prompts, responses, 5, 50)
    const link = units.find((unit) => unit.contact)
    expect(link?.unit).toBe(signature.toLowerCase())
    expect(link?.freshRows).toBe(0)
  })

  it('leaves out text a response copies from its own prompt', () => {
    const asked = prompts.map((prompt) => `${prompt}: how do I install the printer driver on windows`)
    const responses = responsesWith((text) => `how do I install the printer driver on windows ${text}`)
    expect(findRepeatedUnits(asked, responses, 5, 250)).toEqual([])
  })

  it('gives a repeat far beyond the data’s own repeats a small chance and the ordinary ones none', () => {
    const unit = (freshRows: number) => ({ unit: `u${freshRows}`, contact: false, rows: [], freshRows })
    const all = [1, 1, 1, 2, 1, 2, 3, 1, 25].map(unit)
    const chances = repeatFalseAlarmChances(all, all)
    expect(chances[8]).toBeLessThan(1e-5)
    expect(Math.min(...chances.slice(0, 8))).toBeGreaterThan(0.2)
  })
})
