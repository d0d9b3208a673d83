import { ByteKeys } from './byte-keys.js'

/** One distinct label or source: its text, its JSON as UTF-8 (as record trees and the sidecar write it), its records. */
export interface RoleValue {
  readonly text: string | null
  readonly json: Uint8Array
  count: number
  /** Its place among the values of its column (`RoleValues.values`); -1 for `none` and for a value made alone. */
  readonly index: number
}

/** A value with its count at zero; `null` is the value of records without one. */
export function roleValue(text: string | null, index = -1): RoleValue {
  return { text, json: Buffer.from(JSON.stringify(text)), count: 0, index }
}

/**
 * The distinct values of a label or source column, looked up by their canonical UTF-8 bytes: labels and sources
 * repeat on every record, so each becomes a string and its JSON once rather than once per record.
 */
export class RoleValues {
  private readonly keys = new ByteKeys()
  /** Every value seen, in order of first appearance, the empty value apart. */
  readonly values: RoleValue[] = []
  /** The value of records where the column is empty. */
  readonly none = roleValue(null)
  /**
   * The entry last found for keys of each length, first and last byte (hashed to a slot), -1 for none: a label or
   * source column has few values, nearly always found here with one comparison rather than a hash and a probe.
   */
  private readonly recent = new Int32Array(RECENT_SLOTS).fill(-1)

  /** The value of the key `bytes[start, end)` (see `writeRoleKey`), or `none` when `start` is negative. */
  lookup(bytes: Buffer, start: number, end: number): RoleValue {
    if (start < 0) return this.none
    const slot = (31 * (end - start) + 7 * bytes[start] + bytes[end - 1]) & (RECENT_SLOTS - 1)
    const recent = this.recent[slot]
    if (recent >= 0 && this.keys.holds(recent, bytes, start, end)) return this.values[recent]
    let entry = this.keys.intern(bytes, start, end)
    if (entry < 0) {
      entry = -1 - entry
      this.values.push(roleValue(roleKeyText(bytes, start, end), entry))
    }
    this.recent[slot] = entry
    return this.values[entry]
  }
}

const RECENT_SLOTS = 64

/** Leads a key of UTF-16 code units: the byte 0xFF never occurs in UTF-8, so such a key never equals a UTF-8 one. */
const UTF16_KEY = 0xff
const LONE_SURROGATE = /\p{Cs}/u

/** Bytes `writeRoleKey` may need for `text`. */
export function roleKeyBytes(text: string): number {
  return 3 * text.length + 1
}

/**
 * Writes the key of an id, label or source text at the start of `target` and returns its end: the text's UTF-8, as
 * CSV bytes already are, or, for text with a lone surrogate (JSON can carry one, UTF-8 cannot), a marker byte and
 * its UTF-16 code units, so that distinct texts keep distinct keys.
 */
export function writeRoleKey(target: Buffer, text: string): number {
  if (!LONE_SURROGATE.test(text)) return target.write(text, 0, 'utf8')
  target[0] = UTF16_KEY
  return 1 + target.write(text, 1, 'utf16le')
}

/** The text of a key written by `writeRoleKey`, or of UTF-8 bytes. */
export function roleKeyText(bytes: Buffer, start: number, end: number): string {
  if (end > start && bytes[start] === UTF16_KEY) return bytes.toString('utf16le', start + 1, end)
  return bytes.toString('utf8', start, end)
}
