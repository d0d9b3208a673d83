import type { CodedColumn } from './columns.js'
import { type CsvRecord, ESCAPED, fieldText, QUOTED } from './csv-record.js'

/** Distinct values found by their bytes at most; past them a value is decoded and looked up by its text. */
const MAX_INTERNED_VALUES = 4096
/** Longer fields are decoded and looked up by text: label and source values are short. */
const MAX_INTERNED_BYTES = 64

interface Interned {
  readonly bytes: Buffer
  readonly code: number
}

/**
 * A column with few distinct values (labels, sources) kept as one code per record and one string per value: a
 * value is found by its field's bytes, so a million records with two labels make two strings, not a million.
 */
export class CodedColumnReader {
  private readonly values: string[] = []
  private codes = new Int32Array(1024)
  private rowCount = 0
  private readonly byHash = new Map<number, Interned>()
  private readonly byText = new Map<string, number>()

  /** Appends the field's value, as `fieldText` gives it. */
  add(record: CsvRecord, field: number): void {
    this.push(this.codeOf(record, field))
  }

  /** Appends a value given as text. */
  addText(text: string): void {
    this.push(this.textCode(text))
  }

  finish(): CodedColumn {
    return { values: this.values, codes: this.codes.slice(0, this.rowCount) }
  }

  private codeOf(record: CsvRecord, field: number): number {
    const flags = record.fieldFlags[field]
    let start = record.fieldStarts[field]
    let end = record.fieldEnds[field]
    if (flags & ESCAPED || end - start > MAX_INTERNED_BYTES) return this.textCode(fieldText(record, field))
    if (flags & QUOTED) {
      start++
      end--
    }
    const bytes = record.bytes
    let hash = 0x811c9dc5
    for (let position = start; position < end; position++)
      hash = Math.imul(hash ^ bytes[position], 0x01000193)
    const known = this.byHash.get(hash)
    if (known && sameBytes(known.bytes, bytes, start, end)) return known.code
    const code = this.textCode(fieldText(record, field))
    if (!known && this.byHash.size < MAX_INTERNED_VALUES) {
      this.byHash.set(hash, { bytes: Buffer.from(bytes.subarray(start, end)), code })
    }
    return code
  }

  private textCode(text: string): number {
    let code = this.byText.get(text)
    if (code === undefined) {
      code = this.values.length
      this.values.push(text)
      this.byText.set(text, code)
    }
    return code
  }

  private push(code: number): void {
    if (this.rowCount === this.codes.length) {
      const grown = new Int32Array(this.codes.length * 2)
      grown.set(this.codes)
      this.codes = grown
    }
    this.codes[this.rowCount++] = code
  }
}

function sameBytes(known: Buffer, bytes: Buffer, start: number, end: number): boolean {
  if (known.length !== end - start) return false
  for (let index = 0; index < known.length; index++) if (known[index] !== bytes[start + index]) return false
  return true
}
