import { hash } from 'node:crypto'

/** Identifies the record encoding below in manifests, so a future change can never be mistaken for this one. */
export const RECORD_ENCODING = 'https://poisonguard.dev/canonical-record/v1'

const MINUS = 45
const DIGIT_0 = 48
const DIGIT_9 = 57
const DOT = 46
const INTEGER = /^-?(?:0|[1-9]\d*)$/
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

/** Value kinds seen in a column, as bit flags, for the manifest's schema. */
export const KIND_INTEGER = 1
export const KIND_NUMBER = 2
export const KIND_BOOLEAN = 4
export const KIND_STRING = 8

/** The canonical text of a cell and the kind of value it holds. */
export interface CanonicalCell {
  text: string | null
  kind: number
}

/**
 * Normalises a numeral the same way whether it came as text (CSV) or as a typed number: integers keep every
 * digit (so 64-bit ids stay exact), other JSON-grammar numbers become the shortest round-trip form. Text that is
 * not a JSON number (`007`, `+1`, ` 1`, `1e400`) is kept as it is.
 */
function normaliseText(text: string, cell: CanonicalCell): void {
  const first = text.charCodeAt(0)
  if (first !== MINUS && (first < DIGIT_0 || first > DIGIT_9)) {
    cell.text = text
    cell.kind = text === 'true' || text === 'false' ? KIND_BOOLEAN : KIND_STRING
    return
  }
  const plainKind = plainDecimalKind(text)
  if (plainKind !== 0) {
    cell.text = text
    cell.kind = plainKind
    return
  }
  if (INTEGER.test(text)) {
    cell.text = text === '-0' ? '0' : text
    cell.kind = KIND_INTEGER
    return
  }
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN
  if (Number.isFinite(value)) {
    cell.text = String(value)
    cell.kind = Number.isInteger(value) && Math.abs(value) < 1e21 ? KIND_INTEGER : KIND_NUMBER
    return
  }
  cell.text = text
  cell.kind = text === 'true' || text === 'false' ? KIND_BOOLEAN : KIND_STRING
}

/**
 * The kind of a plain decimal that is already JavaScript's shortest round-trip form, or 0 when that needs the full
 * check: at most 15 significant digits (so no shorter decimal maps to the same double), no leading or trailing
 * zeros, no exponent, and a magnitude JavaScript prints without one ([1e-6, 1e21)).
 */
function plainDecimalKind(text: string): number {
  const length = text.length
  let position = text.charCodeAt(0) === MINUS ? 1 : 0
  const integerStart = position
  while (position < length && isDigit(text.charCodeAt(position))) position++
  const integerDigits = position - integerStart
  if (integerDigits === 0 || (integerDigits > 1 && text.charCodeAt(integerStart) === DIGIT_0)) return 0
  const zeroInteger = integerDigits === 1 && text.charCodeAt(integerStart) === DIGIT_0
  if (position === length) {
    if (integerDigits > 15 || (zeroInteger && integerStart === 1)) return 0
    return KIND_INTEGER
  }
  if (text.charCodeAt(position) !== DOT) return 0
  const fractionStart = ++position
  while (position < length && isDigit(text.charCodeAt(position))) position++
  const fractionDigits = position - fractionStart
  if (position !== length || fractionDigits === 0 || text.charCodeAt(length - 1) === DIGIT_0) return 0
  if (!zeroInteger) return integerDigits + fractionDigits <= 15 ? KIND_NUMBER : 0
  let leadingZeros = 0
  while (text.charCodeAt(fractionStart + leadingZeros) === DIGIT_0) leadingZeros++
  return leadingZeros <= 5 && fractionDigits - leadingZeros <= 15 ? KIND_NUMBER : 0
}

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9
}

/**
 * Sets `cell` to the canonical text of one value, or null when it is empty: `''`, null and undefined are all "no
 * value", because CSV cannot tell them apart. Numbers and numeric text normalise alike; booleans become
 * `true`/`false`, dates ISO 8601, bytes base64, nested values canonical JSON.
 */
export function canonicalCell(value: unknown, cell: CanonicalCell): void {
  switch (typeof value) {
    case 'string':
      if (value === '') cell.text = null
      else normaliseText(value, cell)
      return
    case 'number':
    case 'bigint':
    case 'boolean':
      normaliseText(String(value), cell)
      return
    case 'undefined':
      cell.text = null
      return
    default:
      if (value === null) cell.text = null
      else if (value instanceof Date) normaliseText(value.toISOString(), cell)
      else if (value instanceof Uint8Array) normaliseText(Buffer.from(value).toString('base64'), cell)
      else normaliseText(canonicalJson(value), cell)
  }
}

const scratch: CanonicalCell = { text: null, kind: 0 }

/** The canonical text of one value, or null when it is empty (see `canonicalCell`). */
export function canonicalText(value: unknown): string | null {
  canonicalCell(value, scratch)
  return scratch.text
}

/** JSON with object keys sorted by UTF-16 code units (as RFC 8785), for nested cells. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort()
    const entries = keys
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** SHA-256 of a record body's UTF-8 bytes. */
export function digestBody(body: string): Buffer {
  return hash('sha256', body, 'buffer')
}

/*
 * The streaming paths hash millions of short inputs. A digest returned as a latin1 string (one byte per character)
 * costs a third of one returned as a new Buffer, which needs its own backing store each time; so digests travel
 * as such strings or are written into reused buffers, and a Buffer is made only at the public edges.
 */

/** Writes the SHA-256 of a record body's UTF-8 bytes into `out` (32 bytes), which callers reuse. */
export function digestBodyInto(body: string, out: Buffer): void {
  out.write(hash('sha256', body, 'binary'), 0, 'latin1')
}

const LEAF_SCRATCH = Buffer.alloc(1 + 32 + 1024)

/** The leaf hash of `recordLeaf` as a latin1 string of its 32 bytes. */
export function recordLeafBinary(bodyDigest: Uint8Array, label: string | null): string {
  const labelJson = JSON.stringify(label)
  const scratch = LEAF_SCRATCH
  scratch[0] = 0
  scratch.set(bodyDigest, 1)
  // Short labels (nearly all) are hashed from a reused buffer; a UTF-16 unit never takes more than 3 UTF-8 bytes.
  if (labelJson.length * 3 <= scratch.length - 33) {
    const written = scratch.write(labelJson, 33, 'utf8')
    return hash('sha256', scratch.subarray(0, 33 + written), 'binary')
  }
  return hash('sha256', Buffer.concat([scratch.subarray(0, 33), Buffer.from(labelJson)]), 'binary')
}

/**
 * The Merkle leaf of a record (RFC 6962 leaf hash): SHA-256(0x00 ‖ body digest ‖ UTF-8 of the label as JSON),
 * binding content and label together while keeping them apart for diffs.
 */
export function recordLeaf(bodyDigest: Uint8Array, label: string | null): Buffer {
  return Buffer.from(recordLeafBinary(bodyDigest, label), 'latin1')
}
