import { fnv1a, mixHash } from '../../util/hashing.js'

/** Pieces of a response an attacker repeats: links, e-mail addresses, phone numbers and whole sentences. */
const contactPattern =
  /https?:\/\/[^\s"'<>)]+|www\.[^\s"'<>)]+|[\w.+-]+@[\w-]+(\.[\w-]+)+|\+?\d[\d ()./-]{7,}\d/g
const sentencePattern = /[^.!?\n]+[.!?]?/g

/** A sentence needs this many words to count: short ones ("Thanks.", "Hope this helps!") repeat honestly. */
const minSentenceWords = 6

function normalise(unit: string): string {
  return unit.toLowerCase().replace(/\s+/g, ' ').trim()
}

/** Distinct hashes of the units of a text, with a readable copy of each, first seen first. */
export function unitsOf(text: string): Map<number, { unit: string; contact: boolean }> {
  const units = new Map<number, { unit: string; contact: boolean }>()
  const head = text.slice(0, 8000)
  const matches = [
    ...[...head.matchAll(contactPattern)].map((match) => ({ unit: match[0], sentence: false })),
    ...[...head.matchAll(sentencePattern)].map((match) => ({ unit: match[0], sentence: true })),
  ]
  for (const match of matches) {
    const unit = normalise(match.unit)
    if (match.sentence && unit.split(' ').length < minSentenceWords) continue
    const hash = mixHash(fnv1a(unit))
    if (!units.has(hash)) units.set(hash, { unit, contact: !match.sentence })
  }
  return units
}

/** A unit repeated across responses, the records that carry it, and one readable copy. */
export interface RepeatedUnit {
  readonly unit: string
  /** A link, e-mail address or phone number rather than a sentence. */
  readonly contact: boolean
  readonly rows: readonly number[]
}

/**
 * Units that `minRows` to `maxRows` responses repeat and that their own prompts do not hold (a response quoting
 * its question repeats nothing); the caller judges whether their prompts are related.
 */
export function findRepeatedUnits(
  prompts: readonly string[],
  responses: readonly string[],
  minRows: number,
  maxRows: number,
): RepeatedUnit[] {
  const carriers = new Map<number, { unit: string; contact: boolean; rows: number[] }>()
  responses.forEach((response, row) => {
    const prompt = normalise(prompts[row])
    for (const [hash, { unit, contact }] of unitsOf(response)) {
      if (prompt.includes(unit)) continue
      const entry = carriers.get(hash)
      if (entry) entry.rows.push(row)
      else carriers.set(hash, { unit, contact, rows: [row] })
    }
  })
  return [...carriers.values()].filter(
    (entry) => entry.rows.length >= minRows && entry.rows.length <= maxRows,
  )
}
