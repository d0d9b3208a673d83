const POW10 = new Float64Array(23)
for (let exponent = 0; exponent < POW10.length; exponent++) POW10[exponent] = 10 ** exponent

const PLUS = 43
const MINUS = 45
const DOT = 46
const ZERO = 48
const LOWER_E = 101

/** Mantissas up to 15 digits are exact in a double, so one multiply or divide by an exact power of ten rounds once. */
const MAX_FAST_DIGITS = 15
const DECIMAL_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const NON_FINITE_SPELLINGS = new Set([
  'NaN',
  'nan',
  'NAN',
  'Infinity',
  '+Infinity',
  '-Infinity',
  'inf',
  '+inf',
  '-inf',
  'Inf',
  '+Inf',
  '-Inf',
  'INF',
  '-INF',
])

/**
 * Parses a plain decimal number straight from UTF-8 bytes; returns NaN when the bytes need the slow path (not a
 * number, too many digits, a large exponent, surrounding spaces), so callers fall back to `parseNumberText`.
 */
export function parseNumberBytes(bytes: Uint8Array, start: number, end: number): number {
  const value = scanDecimal(bytes, start, end)
  return decimalScan.end === end ? value : Number.NaN
}

/**
 * NaN from a constant: reading `Number.NaN` on a path the optimiser has not seen yet (the first cut or empty field)
 * throws away the compiled parse loop.
 */
const NOT_FAST = Number.NaN

/** Where the last `scanDecimal` stopped reading. */
export const decimalScan = { end: 0 }

/**
 * Reads a plain decimal number from `start` for as long as the bytes (before `end`) continue one, and leaves in
 * `decimalScan.end` where it stopped: a CSV reader checks that a delimiter follows, so the field is parsed in the
 * same pass that finds its end. NaN when what was read needs the slow path.
 */
export function scanDecimal(bytes: Uint8Array, start: number, end: number): number {
  let position = start
  let negative = false
  const first = position < end ? bytes[position] : 0
  if (first === MINUS) {
    negative = true
    position++
  } else if (first === PLUS) position++
  let mantissa = 0
  let digitCount = 0
  let scale = 0
  for (; position < end; position++) {
    const digit = bytes[position] - ZERO
    if (digit < 0 || digit > 9) break
    mantissa = mantissa * 10 + digit
    digitCount++
  }
  if (position < end && bytes[position] === DOT) {
    position++
    for (; position < end; position++) {
      const digit = bytes[position] - ZERO
      if (digit < 0 || digit > 9) break
      mantissa = mantissa * 10 + digit
      digitCount++
      scale++
    }
  }
  decimalScan.end = position
  if (digitCount === 0 || digitCount > MAX_FAST_DIGITS) return NOT_FAST
  // `0 - scale`, not `-scale`, which is minus zero for integers and makes V8 recompile the function.
  let exponent = 0 - scale
  if (position < end && (bytes[position] | 32) === LOWER_E) {
    position++
    let exponentSign = 1
    const sign = position < end ? bytes[position] : 0
    if (sign === MINUS) {
      exponentSign = -1
      position++
    } else if (sign === PLUS) position++
    let exponentValue = 0
    const exponentStart = position
    for (; position < end && exponentValue < 1000; position++) {
      const digit = bytes[position] - ZERO
      if (digit < 0 || digit > 9) break
      exponentValue = exponentValue * 10 + digit
    }
    decimalScan.end = position
    if (position === exponentStart) return NOT_FAST
    exponent += exponentSign * exponentValue
  }
  let value: number
  if (exponent === 0) value = mantissa
  else if (exponent < 0 && exponent >= -22) value = mantissa / POW10[-exponent]
  else if (exponent > 0 && exponent <= 22) value = mantissa * POW10[exponent]
  else return NOT_FAST
  return negative ? -value : value
}

/** What a trimmed, non-empty cell holds when read as a number. */
export type NumberReading = { kind: 'number'; value: number } | { kind: 'non-finite' } | { kind: 'text' }

const TEXT: NumberReading = { kind: 'text' }
const NON_FINITE: NumberReading = { kind: 'non-finite' }

/** Reads a trimmed cell as a decimal number; NaN/Infinity spellings and overflowing values are `non-finite`. */
export function parseNumberText(text: string): NumberReading {
  if (DECIMAL_PATTERN.test(text)) {
    const value = Number(text)
    return Number.isFinite(value) ? { kind: 'number', value } : NON_FINITE
  }
  return NON_FINITE_SPELLINGS.has(text) ? NON_FINITE : TEXT
}
