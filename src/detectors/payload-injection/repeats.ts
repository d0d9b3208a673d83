import { WordCursor } from '../../text/words.js'
import { combineHashes, fnv1a, mixHash } from '../../util/hashing.js'

/** Links, e-mail addresses and phone numbers: an attacker's payload is often no more than one of them. */
const contactPattern =
  /https?:\/\/[^\s"'<>)]+|www\.[^\s"'<>)]+|[\w.+-]+@[\w-]+(\.[\w-]+)+|\+?\d[\d ()./-]{7,}\d/g

/**
 * Words in the shortest repeated span that counts without a link or number in it: shorter runs ("let me know if
 * you") recur in honest prose at random places, which is exactly what an inserted payload looks like.
 */
export const spanWords = 6

/** Only the start of a long response is read. */
const maxChars = 8000

/** Stands for the start or the end of a response as the word next to a span. */
const edgeHash = 0x5a3e0003

/** A response's words as written (whitespace-separated, lower case), hashed, with where each one ends. */
interface Words {
  readonly text: string
  readonly hashes: Uint32Array
  readonly starts: Int32Array
  readonly ends: Int32Array
}

function wordsOf(text: string): Words {
  const lower = text.slice(0, maxChars).toLowerCase()
  const cursor = new WordCursor(lower, { definition: 'whitespace' })
  const hashes: number[] = []
  const starts: number[] = []
  const ends: number[] = []
  while (cursor.next()) {
    hashes.push(mixHash(cursor.hash))
    starts.push(cursor.start)
    ends.push(cursor.end)
  }
  return {
    text: lower,
    hashes: Uint32Array.from(hashes),
    starts: Int32Array.from(starts),
    ends: Int32Array.from(ends),
  }
}

/** Hash of the `spanWords` words from `first` on. */
function shingleAt(hashes: Uint32Array, first: number): number {
  let hash = hashes[first]
  for (let word = first + 1; word < first + spanWords; word++) hash = combineHashes(hash, hashes[word])
  return hash
}

function shinglesOf(words: Words): Uint32Array {
  const count = Math.max(0, words.hashes.length - spanWords + 1)
  return Uint32Array.from({ length: count }, (_, first) => shingleAt(words.hashes, first))
}

/** Where a unit sits in one response: its first and last word. */
interface Occurrence {
  readonly row: number
  readonly first: number
  readonly last: number
}

/** A unit repeated across responses, the records that carry it, and one readable copy. */
export interface RepeatedUnit {
  readonly unit: string
  /** A link, e-mail address or phone number rather than a run of words. */
  readonly contact: boolean
  readonly rows: readonly number[]
  /**
   * Carriers in which the unit sits between words no more than one other carrier has next to it: inserted at a
   * random place rather than copied with its surroundings (a signature, a footer, a quoted mail).
   */
  readonly freshRows: number
}

/** Index of the word holding character `offset`. */
function wordAt(words: Words, offset: number): number {
  let low = 0
  let high = words.ends.length - 1
  while (low < high) {
    const middle = (low + high) >> 1
    if (words.ends[middle] <= offset) low = middle + 1
    else high = middle
  }
  return low
}

/** Words read on each side of a repeat to tell whether its carriers share surroundings. */
const contextWords = 3

/** The words within `contextWords` of an occurrence on one side (-1 before, 1 after), the edge as a word. */
function sideWords(words: Words, occurrence: Occurrence, side: -1 | 1): number[] {
  const found: number[] = []
  for (let step = 1; step <= contextWords; step++) {
    const index = side < 0 ? occurrence.first - step : occurrence.last + step
    if (index < 0 || index >= words.hashes.length) {
      found.push(edgeHash)
      break
    }
    found.push(words.hashes[index])
  }
  return found
}

/**
 * How many carriers hold the repeat between words of their own: the word next to it on each side is shared by at
 * most one other carrier, and no word near it is shared by half of them. A copied signature, footer, feed header
 * or quoted line keeps some of its surroundings (the end of the text, "wrote:", "URL:"); an insertion at random
 * places keeps none.
 */
function countFresh(all: readonly Words[], occurrences: readonly Occurrence[]): number {
  const sides = ([-1, 1] as const).map((side) =>
    occurrences.map((occurrence) => sideWords(all[occurrence.row], occurrence, side)),
  )
  const anchored = sides.map((windows) => {
    const next = new Map<number, number>()
    const near = new Map<number, number>()
    for (const window of windows) {
      next.set(window[0], (next.get(window[0]) ?? 0) + 1)
      for (const hash of new Set(window)) near.set(hash, (near.get(hash) ?? 0) + 1)
    }
    const anchoring = Math.max(3, occurrences.length / 2)
    return windows.map(
      (window) => next.get(window[0])! > 2 || window.some((hash) => near.get(hash)! >= anchoring),
    )
  })
  return occurrences.filter((_, index) => !anchored[0][index] && !anchored[1][index]).length
}

function addOccurrence(
  units: Map<number, { contact: boolean; occurrences: Occurrence[] }>,
  key: number,
  contact: boolean,
  occurrence: Occurrence,
): void {
  const entry = units.get(key)
  if (!entry) units.set(key, { contact, occurrences: [occurrence] })
  else if (entry.occurrences.at(-1)!.row !== occurrence.row) entry.occurrences.push(occurrence)
}

/** Contacts of each response, keyed by their normalised text, skipping those its prompt holds. */
function collectContacts(
  all: readonly Words[],
  prompts: readonly string[],
  units: Map<number, { contact: boolean; occurrences: Occurrence[] }>,
): void {
  all.forEach((words, row) => {
    const prompt = prompts[row].toLowerCase()
    for (const match of words.text.matchAll(contactPattern)) {
      if (words.hashes.length === 0 || prompt.includes(match[0])) continue
      const first = wordAt(words, match.index)
      const last = wordAt(words, match.index + match[0].length - 1)
      addOccurrence(units, mixHash(fnv1a(match[0])), true, { row, first, last })
    }
  })
}

/**
 * Runs of `spanWords` or more words repeated in `minRows` to `maxRows` responses, their own prompts not holding
 * them: each run's overlapping word windows are carried by the same responses, so windows are grouped by the set of
 * responses that carry them, and each group spans from its first window to its last in each response.
 */
function collectSpans(
  all: readonly Words[],
  prompts: readonly string[],
  minRows: number,
  maxRows: number,
  units: Map<number, { contact: boolean; occurrences: Occurrence[] }>,
): void {
  const shingles = all.map((words, row) => {
    const own = new Set(shinglesOf(wordsOf(prompts[row])))
    return shinglesOf(words).map((hash) => (own.has(hash) ? 0 : hash))
  })
  const frequency = new Map<number, number>()
  for (const row of shingles)
    for (const hash of new Set(row)) if (hash !== 0) frequency.set(hash, (frequency.get(hash) ?? 0) + 1)
  const carriers = new Map<number, number[]>()
  shingles.forEach((row, index) => {
    for (const hash of new Set(row)) {
      const count = frequency.get(hash) ?? 0
      if (count < minRows || count > maxRows) continue
      const list = carriers.get(hash)
      if (list) list.push(index)
      else carriers.set(hash, [index])
    }
  })
  const groupOf = new Map<number, number>()
  for (const [hash, rows] of carriers)
    groupOf.set(
      hash,
      rows.reduce((key, row) => combineHashes(key, row), 0),
    )
  shingles.forEach((row, index) => {
    const extent = new Map<number, { first: number; last: number }>()
    row.forEach((hash, first) => {
      const group = groupOf.get(hash)
      if (group === undefined) return
      const seen = extent.get(group)
      if (seen) seen.last = first + spanWords - 1
      else extent.set(group, { first, last: first + spanWords - 1 })
    })
    for (const [group, { first, last }] of extent)
      addOccurrence(units, group, false, { row: index, first, last })
  })
}

/**
 * The occurrences widened to the longest run every carrier shares: a link inside a copied signature, or inside an
 * injected sentence, is judged with its whole run, by the words around the run.
 */
function widen(all: readonly Words[], occurrences: readonly Occurrence[]): Occurrence[] {
  const spans = occurrences.map((occurrence) => ({ ...occurrence }))
  const sharedNeighbour = (offset: number) => {
    const at = (span: { row: number; first: number; last: number }) =>
      offset < 0 ? span.first + offset : span.last + offset
    const first = at(spans[0])
    if (first < 0 || first >= all[spans[0].row].hashes.length) return false
    const hash = all[spans[0].row].hashes[first]
    return spans.every((span) => {
      const index = at(span)
      return index >= 0 && index < all[span.row].hashes.length && all[span.row].hashes[index] === hash
    })
  }
  while (sharedNeighbour(-1)) for (const span of spans) span.first--
  while (sharedNeighbour(1)) for (const span of spans) span.last++
  return spans
}

/**
 * Links, addresses, numbers and runs of words that `minRows` to `maxRows` responses repeat and that their own
 * prompts do not hold (a response quoting its question repeats nothing), each widened to the run its carriers
 * share, with how many carriers hold it where an insertion would put it; the caller judges whether their prompts
 * are related.
 */
export function findRepeatedUnits(
  prompts: readonly string[],
  responses: readonly string[],
  minRows: number,
  maxRows: number,
): RepeatedUnit[] {
  const all = responses.map(wordsOf)
  const contacts = new Map<number, { contact: boolean; occurrences: Occurrence[] }>()
  const spans = new Map<number, { contact: boolean; occurrences: Occurrence[] }>()
  collectContacts(all, prompts, contacts)
  collectSpans(all, prompts, minRows, maxRows, spans)
  const repeated = new Map<string, RepeatedUnit>()
  for (const { contact, occurrences } of [...spans.values(), ...contacts.values()]) {
    if (occurrences.length < minRows || occurrences.length > maxRows) continue
    const widened = widen(all, occurrences)
    const { row, first, last } = widened[0]
    const words = all[row]
    const unit = words.text.slice(words.starts[first], words.ends[last]).replace(/\s+/g, ' ')
    const rows = widened.map((occurrence) => occurrence.row)
    const key = `${unit}\u0000${rows.join(',')}`
    if (repeated.has(key)) continue
    repeated.set(key, { unit, contact, rows, freshRows: countFresh(all, widened) })
  }
  return [...repeated.values()]
}

/** A run counts as inserted when at least this share of its carriers hold it between words of their own. */
export const minFreshShare = 0.5

/**
 * Each candidate's chance of being honest text, against every repeat of the data: the counts of carriers holding
 * a repeat where an insertion would put it are modelled, over all repeats that have any, as exponential (scale from
 * their median, so one planted repeat cannot stretch it), and a candidate's chance is the expected number of
 * repeats with at least its count over the number observed (a Benjamini–Hochberg q-value). Quoted headers ("On Fri,
 * Aug 9, 2002 at …") and stock phrases reach a few fresh carriers; a payload planted in dozens of unrelated answers
 * lies far beyond them.
 */
export function repeatFalseAlarmChances(
  candidates: readonly RepeatedUnit[],
  all: readonly RepeatedUnit[],
): Float64Array {
  const observed = all
    .map((unit) => unit.freshRows)
    .filter((count) => count > 0)
    .sort((a, b) => a - b)
  const chances = new Float64Array(candidates.length).fill(1)
  if (observed.length === 0) return chances
  const scale = Math.max(1, observed[Math.floor(observed.length / 2)]) / Math.LN2
  candidates.forEach(({ freshRows }, index) => {
    if (freshRows === 0) return
    const atLeast = Math.max(1, observed.length - observed.findIndex((other) => other >= freshRows))
    chances[index] = Math.min(1, (observed.length * Math.exp(-(freshRows - 1) / scale)) / atLeast)
  })
  return chances
}
