import { ByteKeys } from './byte-keys.js'

/** One distinct label or source: its text, its JSON as UTF-8 (as record trees and the sidecar write it), its records. */
export interface RoleValue {
  readonly text: string | null
  readonly json: Uint8Array
  count: number
}

/** A value with its count at zero; `null` is the value of records without one. */
export function roleValue(text: string | null): RoleValue {
  return { text, json: Buffer.from(JSON.stringify(text)), count: 0 }
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

  /** The value of `bytes[start, end)`, or `none` when `start` is negative. */
  lookup(bytes: Uint8Array, start: number, end: number): RoleValue {
    if (start < 0) return this.none
    const entry = this.keys.intern(bytes, start, end)
    if (entry >= 0) return this.values[entry]
    const value = roleValue(this.keys.text(-1 - entry))
    this.values.push(value)
    return value
  }
}
