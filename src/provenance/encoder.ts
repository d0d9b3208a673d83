import { hash } from 'node:crypto'
import {
  type CanonicalCell,
  KIND_BOOLEAN,
  KIND_INTEGER,
  KIND_NUMBER,
  KIND_STRING,
} from '../data/canonical-text.js'
import { type CsvRecord, ESCAPED, fieldText, QUOTED } from '../io/csv-record.js'
import type { RawRecord } from '../io/records.js'
import { canonicalCell } from './canonical.js'
import { roleKeyBytes, writeRoleKey } from './role-values.js'
import type { ColumnType } from './statement.js'
import { copyWords, viewOf } from './word-copy.js'

/** The columns that play a part in provenance; null when absent. */
export interface RecordRoles {
  readonly id: string | null
  readonly label: string | null
  readonly source: string | null
}

/** One column's share of a schema: the kind flags of its values and in how many records it had one. */
export interface ColumnTotal {
  readonly name: string
  readonly kinds: number
  readonly filled: number
}

/** Slots of `RecordEncoder`'s role ranges. */
export const ROLE_ID = 0
export const ROLE_LABEL = 1
export const ROLE_SOURCE = 2

const EMPTY_BYTES = Buffer.alloc(0)

/**
 * CSV bodies built before any is hashed, each in a slot of its own, then hashed in one run of calls: one `crypto.hash`
 * call after another costs about half what the same call does between the records' other work.
 */
export const BODIES_PER_BATCH = 32
/** Room in each slot; only the first slot grows, for a record whose body may need more. */
const SLOT_BYTES = 4096

/** Sort order, quoted names, role positions and per-column statistics for one list of column names. */
interface ColumnLayout {
  readonly columns: readonly string[]
  /** Indexes into `columns`, sorted by name (UTF-16 code units, as RFC 8785). */
  readonly order: Int32Array
  /** `"name":` for each column, as text. */
  readonly prefixes: string[]
  /**
   * `,"name":"` for each column, as a view of its UTF-8 with its length: what goes before a value copied from CSV
   * bytes, in one copy (the first one's comma is then overwritten by the opening brace).
   */
  readonly leadViews: DataView[]
  readonly leadLengths: Int32Array
  /** The most the leads and a value's quotes add to a body's size. */
  readonly leadBytes: number
  readonly idIndex: number
  readonly labelIndex: number
  readonly sourceIndex: number
  /** Kind flags seen per column, and in how many records it held a value. */
  readonly kinds: Int32Array
  readonly filled: Float64Array
}

const MAX_CACHED_LAYOUTS = 64

/**
 * Turns raw records into canonical bodies: a JSON object of every non-empty column except the label, keys sorted,
 * every value a canonical string. The id, label and source texts of the last record are kept apart; column kinds
 * are gathered for the schema along the way.
 */
export class RecordEncoder {
  /**
   * The canonical text of the last record's id, label and source (slots `ROLE_*`) as keys (`writeRoleKey`: UTF-8
   * unless the text has a lone surrogate): `roleBytes[slot][roleStarts[slot], roleEnds[slot])`, with a start of -1
   * when the cell is empty. A cell read from CSV bytes points into them, so no string is made for it.
   */
  readonly roleBytes: Buffer[] = [EMPTY_BYTES, EMPTY_BYTES, EMPTY_BYTES]
  readonly roleStarts = Int32Array.of(-1, -1, -1)
  readonly roleEnds = new Int32Array(3)
  private readonly roleScratch = [Buffer.alloc(256), Buffer.alloc(256), Buffer.alloc(256)]
  /** Column names in order of first appearance. */
  readonly columnNames: string[] = []
  private readonly known = new Set<string>()
  private layout?: ColumnLayout
  private readonly cache = new Map<string, ColumnLayout>()
  private readonly totals = new Map<string, { kinds: number; filled: number }>()
  private readonly cell: CanonicalCell = { text: null, kind: 0 }
  private readonly plain: PlainCell = { start: 0, end: 0 }
  /** The body built in each slot of a batch, a view of it and its length. */
  private readonly bodies: Buffer[] = []
  private readonly bodyViews: DataView[] = []
  private readonly bodyLengths = new Int32Array(BODIES_PER_BATCH)
  /** The bytes records were last read from, and a view of them. */
  private source: Buffer = EMPTY_BYTES
  private sourceBytesView = viewOf(EMPTY_BYTES)
  /**
   * `views[slot][n]` is `bodies[slot].subarray(0, n)`, made once: a fresh view per record cost as much as a tenth of
   * its hash.
   */
  private readonly views: (Buffer | undefined)[][] = []

  constructor(private readonly roles: RecordRoles) {
    for (let slot = 0; slot < BODIES_PER_BATCH; slot++) this.setBody(slot, Buffer.alloc(SLOT_BYTES))
  }

  /** Encodes one record and returns its canonical body. */
  encode(record: RawRecord): string {
    const layout = this.layoutFor(record.columns)
    const { order, prefixes, kinds, filled, labelIndex } = layout
    const values = record.values
    const cell = this.cell
    let body = '{'
    this.clearRoles()
    for (let position = 0; position < order.length; position++) {
      const index = order[position]
      canonicalCell(values[index], cell)
      const text = cell.text
      if (text === null) continue
      kinds[index] |= cell.kind
      filled[index]++
      if (index === layout.idIndex) this.setRoleText(ROLE_ID, text)
      if (index === layout.sourceIndex) this.setRoleText(ROLE_SOURCE, text)
      if (index === labelIndex) this.setRoleText(ROLE_LABEL, text)
      else body += `${body.length === 1 ? '' : ','}${prefixes[index]}${JSON.stringify(text)}`
    }
    return `${body}}`
  }

  /**
   * Encodes one CSV record straight from its bytes into the body of `slot` (see `hashBodies`): the same body
   * `encode` makes from the record's text, but a cell of plain ASCII text is copied without becoming a string, so a
   * record costs few allocations. False, with nothing encoded, when the body may not fit a slot other than the first.
   */
  encodeCsv(record: CsvRecord, columns: readonly string[], slot: number): boolean {
    const layout = this.layoutFor(columns)
    const { order, leadViews, leadLengths, kinds, filled, idIndex, labelIndex, sourceIndex } = layout
    const { bytes, fieldStarts, fieldEnds, fieldFlags } = record
    const source = this.sourceView(bytes)
    const cell = this.cell
    const plain = this.plain
    this.clearRoles()
    // Worst case: every lead, and JSON text of up to 6 bytes per UTF-16 unit of the record, which has at least
    // as many bytes.
    const needed = layout.leadBytes + 6 * (record.end - record.start) + 2
    if (needed > this.bodies[slot].length) {
      if (slot > 0) return false
      this.setBody(0, Buffer.alloc(Math.max(needed, 2 * this.bodies[0].length)))
    }
    const body = this.bodies[slot]
    const bodyView = this.bodyViews[slot]
    let at = 0
    for (let position = 0; position < order.length; position++) {
      const index = order[position]
      const flags = fieldFlags[index]
      const quoted = flags & QUOTED
      const start = fieldStarts[index] + quoted
      const end = fieldEnds[index] - quoted
      if (start === end) continue
      let kind = 0
      let cellStart = start
      let cellEnd = end
      if (!(flags & ESCAPED)) {
        kind = plainTextKind(bytes, start, end, plain)
        cellStart = plain.start
        cellEnd = plain.end
      }
      let text: string | null = null
      if (kind === 0) {
        canonicalCell(fieldText(record, index), cell)
        text = cell.text!
        kind = cell.kind
      }
      kinds[index] |= kind
      filled[index]++
      if (index === idIndex || index === sourceIndex || index === labelIndex) {
        if (index === idIndex) this.setRole(ROLE_ID, bytes, cellStart, cellEnd, text)
        if (index === sourceIndex) this.setRole(ROLE_SOURCE, bytes, cellStart, cellEnd, text)
        if (index === labelIndex) {
          this.setRole(ROLE_LABEL, bytes, cellStart, cellEnd, text)
          continue
        }
      }
      const leadLength = leadLengths[index]
      copyWords(leadViews[index], 0, bodyView, at, leadLength)
      at += leadLength
      if (text === null) {
        copyWords(source, cellStart, bodyView, at, cellEnd - cellStart)
        at += cellEnd - cellStart
        body[at++] = QUOTE
      } else {
        // Over the lead's opening quote: the JSON text brings its own.
        at += body.write(JSON.stringify(text), at - 1, 'utf8') - 1
      }
    }
    // Over the first lead's comma, or the start of `{}`.
    body[0] = OPEN_BRACE
    at = Math.max(at, 1)
    body[at++] = CLOSE_BRACE
    this.bodyLengths[slot] = at
    return true
  }

  /** The SHA-256 of the bodies in slots `[0, count)`, each into `digests[slot]` (latin1, 32 bytes). */
  hashBodies(count: number, digests: string[]): void {
    for (let slot = 0; slot < count; slot++) {
      const length = this.bodyLengths[slot]
      digests[slot] = hash('sha256', this.views[slot][length] ?? this.viewOf(slot, length), 'binary')
    }
  }

  /** Column names with their inferred types; `nullable` when some record lacks a value. */
  schema(recordCount: number): { name: string; type: ColumnType; nullable: boolean }[] {
    for (const layout of this.cache.values()) this.mergeTotals(layout)
    this.cache.clear()
    this.layout = undefined
    return this.columnNames.map((name) => {
      const total = this.totals.get(name) ?? { kinds: 0, filled: 0 }
      return { name, type: columnTypeOf(total.kinds), nullable: total.filled < recordCount }
    })
  }

  /** What the schema is made of so far: each column's kinds seen and records with a value, in order of appearance. */
  columnTotals(): ColumnTotal[] {
    for (const layout of this.cache.values()) this.mergeTotals(layout)
    return this.columnNames.map((name) => ({ name, kinds: 0, filled: 0, ...this.totals.get(name) }))
  }

  /** Adds the `columnTotals` of records another encoder read, as if this one had read them after its own. */
  addTotals(totals: readonly ColumnTotal[]): void {
    for (const { name, kinds, filled } of totals) {
      if (!this.known.has(name)) {
        this.known.add(name)
        this.columnNames.push(name)
      }
      const total = this.totals.get(name) ?? { kinds: 0, filled: 0 }
      total.kinds |= kinds
      total.filled += filled
      this.totals.set(name, total)
    }
  }

  private layoutFor(columns: readonly string[]): ColumnLayout {
    if (this.layout?.columns === columns) return this.layout
    // JSON Lines hands over a fresh key array per record; most records share a key order, so cache by it.
    const key = columns.join('\u0000')
    let layout = this.cache.get(key)
    if (!layout) {
      if (this.cache.size >= MAX_CACHED_LAYOUTS) this.evictLayouts()
      layout = this.createLayout(columns)
      this.cache.set(key, layout)
    }
    this.layout = layout
    return layout
  }

  /** A view of the bytes records are read from, made again only when a record comes from other bytes. */
  private sourceView(bytes: Buffer): DataView {
    if (bytes !== this.source) {
      this.source = bytes
      this.sourceBytesView = viewOf(bytes)
    }
    return this.sourceBytesView
  }

  private setBody(slot: number, body: Buffer): void {
    this.bodies[slot] = body
    this.bodyViews[slot] = viewOf(body)
    this.views[slot] = new Array(body.length + 1).fill(undefined)
  }

  private viewOf(slot: number, length: number): Buffer {
    const view = this.bodies[slot].subarray(0, length)
    this.views[slot][length] = view
    return view
  }

  private clearRoles(): void {
    const starts = this.roleStarts
    starts[ROLE_ID] = -1
    starts[ROLE_LABEL] = -1
    starts[ROLE_SOURCE] = -1
  }

  /** Points a role at `bytes[start, end)`, or at the key of `text` when the cell needed the text path. */
  private setRole(slot: number, bytes: Buffer, start: number, end: number, text: string | null): void {
    if (text !== null) {
      this.setRoleText(slot, text)
      return
    }
    this.roleBytes[slot] = bytes
    this.roleStarts[slot] = start
    this.roleEnds[slot] = end
  }

  private setRoleText(slot: number, text: string): void {
    let scratch = this.roleScratch[slot]
    if (roleKeyBytes(text) > scratch.length) {
      scratch = Buffer.alloc(roleKeyBytes(text))
      this.roleScratch[slot] = scratch
    }
    this.roleBytes[slot] = scratch
    this.roleStarts[slot] = 0
    this.roleEnds[slot] = writeRoleKey(scratch, text)
  }

  private createLayout(columns: readonly string[]): ColumnLayout {
    for (const name of columns) {
      if (this.known.has(name)) continue
      this.known.add(name)
      this.columnNames.push(name)
    }
    const order = Int32Array.from(columns.keys()).sort((a, b) =>
      columns[a] < columns[b] ? -1 : columns[a] > columns[b] ? 1 : 0,
    )
    const indexOf = (name: string | null) => (name === null ? -1 : columns.indexOf(name))
    const prefixes = columns.map((name) => `${JSON.stringify(name)}:`)
    const leadBytes = prefixes.map((prefix) => Buffer.from(`,${prefix}"`, 'utf8'))
    return {
      columns,
      order,
      prefixes,
      leadViews: leadBytes.map(viewOf),
      leadLengths: Int32Array.from(leadBytes, (bytes) => bytes.length),
      leadBytes: leadBytes.reduce((total, bytes) => total + bytes.length + 1, 0),
      idIndex: indexOf(this.roles.id),
      labelIndex: indexOf(this.roles.label),
      sourceIndex: indexOf(this.roles.source),
      kinds: new Int32Array(columns.length),
      filled: new Float64Array(columns.length),
    }
  }

  private evictLayouts(): void {
    for (const layout of this.cache.values()) this.mergeTotals(layout)
    this.cache.clear()
  }

  private mergeTotals(layout: ColumnLayout): void {
    layout.columns.forEach((name, index) => {
      const total = this.totals.get(name) ?? { kinds: 0, filled: 0 }
      total.kinds |= layout.kinds[index]
      total.filled += layout.filled[index]
      this.totals.set(name, total)
      layout.kinds[index] = 0
      layout.filled[index] = 0
    })
  }
}

const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const MINUS = 0x2d
const DIGIT_0 = 0x30
const DIGIT_9 = 0x39

const DOT = 0x2e

/** Where a cell's canonical text lies within its bytes, as `plainTextKind` found it. */
interface PlainCell {
  start: number
  end: number
}

/**
 * The kind of a cell whose bytes from `plain.start` to `plain.end` are already its canonical JSON string content —
 * printable ASCII without quotes or backslashes, and either no numeral or a numeral in its shortest form once the
 * zeros ending its fraction are trimmed — or 0 when the text path (`normaliseText`) must decide.
 */
function plainTextKind(bytes: Buffer, start: number, end: number, plain: PlainCell): number {
  plain.start = start
  plain.end = end
  const first = bytes[start]
  if (first === MINUS || (first >= DIGIT_0 && first <= DIGIT_9))
    return plainDecimalKind(bytes, start, end, plain)
  for (let offset = start; offset < end; offset++) {
    const byte = bytes[offset]
    if (byte < 0x20 || byte > 0x7e || byte === QUOTE || byte === BACKSLASH) return 0
  }
  const length = end - start
  if (length === 4 || length === 5) {
    // One test for both words, so the first `false` runs code that the cells of four bytes before it ran already
    // (a test of its own, first met after the record loop was compiled, threw the compiled loop away).
    const head = first | (bytes[start + 1] << 8) | (bytes[start + 2] << 16) | (bytes[start + 3] << 24)
    const expected = length === 4 ? TRUE_WORD : FALS_WORD
    if (((head ^ expected) | (bytes[end - 1] ^ LETTER_E)) === 0) return KIND_BOOLEAN
  }
  return KIND_STRING
}

/** `true` and the first four bytes of `false` as little-endian 32-bit words; both end with an `e`. */
const TRUE_WORD = 0x65757274
const FALS_WORD = 0x736c6166
const LETTER_E = 0x65

/**
 * `plainDecimalKind` of `data/canonical-text.ts` over bytes, in one pass (a test holds the two to the same answers):
 * a plain decimal already in JavaScript's shortest round-trip form — at most 15 significant digits, no leading or
 * trailing zeros, no exponent, magnitude in [1e-6, 1e21) — or 0. Fixed-precision numerals (`1.4200`) are common:
 * the zeros ending a fraction, and the dot too when nothing is left after it, are trimmed first (`plain.end`), which
 * keeps the value, so what is accepted is the canonical text of the whole cell. A zero loses its minus sign too
 * (`-0.0000` is `0`, `plain.start`): fixed-precision columns round small negative values to it, and the text path
 * it took instead, first met after the record loop was compiled, threw the compiled loop away.
 */
function plainDecimalKind(bytes: Buffer, start: number, end: number, plain: PlainCell): number {
  let position = bytes[start] === MINUS ? start + 1 : start
  const integerStart = position
  while (position < end && isDigit(bytes[position])) position++
  const integerDigits = position - integerStart
  if (integerDigits === 0 || (integerDigits > 1 && bytes[integerStart] === DIGIT_0)) return 0
  const zeroInteger = integerDigits === 1 && bytes[integerStart] === DIGIT_0
  const integerKind = integerDigits > 15 ? 0 : KIND_INTEGER
  const integerFrom = zeroInteger ? integerStart : start
  if (position === end) {
    plain.start = integerFrom
    return integerKind
  }
  if (bytes[position] !== DOT) return 0
  const dot = position
  const fractionStart = ++position
  while (position < end && isDigit(bytes[position])) position++
  if (position !== end || position === fractionStart) return 0
  let fractionEnd = end
  while (fractionEnd > fractionStart && bytes[fractionEnd - 1] === DIGIT_0) fractionEnd--
  if (fractionEnd === fractionStart) {
    plain.start = integerFrom
    plain.end = dot
    return integerKind
  }
  plain.end = fractionEnd
  const fractionDigits = fractionEnd - fractionStart
  if (!zeroInteger) return integerDigits + fractionDigits <= 15 ? KIND_NUMBER : 0
  let leadingZeros = 0
  while (bytes[fractionStart + leadingZeros] === DIGIT_0) leadingZeros++
  return leadingZeros <= 5 && fractionDigits - leadingZeros <= 15 ? KIND_NUMBER : 0
}

function isDigit(byte: number): boolean {
  return byte >= DIGIT_0 && byte <= DIGIT_9
}

function columnTypeOf(kinds: number): ColumnType {
  if (kinds === 0) return 'empty'
  if (kinds & KIND_STRING) return 'string'
  if (kinds & KIND_BOOLEAN) return kinds === KIND_BOOLEAN ? 'boolean' : 'string'
  return kinds & KIND_NUMBER ? 'number' : 'integer'
}
