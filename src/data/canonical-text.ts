/*
 * The one canonical text of a value, shared by the loaders (which ids are the same) and provenance (what a record
 * hashes to): a numeral reads the same whether typed or written as text, and `7.0` is the same value as `7`.
 */

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
export function normaliseText(text: string, cell: CanonicalCell): void {
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

const idScratch: CanonicalCell = { text: null, kind: 0 }

/** The canonical text of an id as written (`7.0` → `7`, `1e2` → `100`); two ids are one when these agree. */
export function canonicalId(id: string): string {
  normaliseText(id, idScratch)
  return idScratch.text ?? id
}
