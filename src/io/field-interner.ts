import { type CsvRecord, ESCAPED, fieldText, QUOTED } from './csv-parser.js'

/** Distinct values kept at most; past them a column (ids, free text) decodes each field as if not interned. */
const MAX_INTERNED_VALUES = 4096
/** Longer fields are decoded every time: label and source values are short. */
const MAX_INTERNED_BYTES = 64

interface Interned {
  readonly bytes: Buffer
  readonly text: string
}

/**
 * One string per distinct value of a column with few of them (labels, sources), found by the field's bytes, so a
 * million records with two labels make two strings instead of a million for the collector to sweep.
 */
export class FieldInterner {
  private readonly byHash = new Map<number, Interned>()

  /** The field's text, as `fieldText` gives it. */
  text(record: CsvRecord, field: number): string {
    const flags = record.fieldFlags[field]
    let start = record.fieldStarts[field]
    let end = record.fieldEnds[field]
    if (flags & ESCAPED || end - start > MAX_INTERNED_BYTES) return fieldText(record, field)
    if (flags & QUOTED) {
      start++
      end--
    }
    const bytes = record.bytes
    let hash = 0x811c9dc5
    for (let position = start; position < end; position++)
      hash = Math.imul(hash ^ bytes[position], 0x01000193)
    const known = this.byHash.get(hash)
    if (known) return sameBytes(known.bytes, bytes, start, end) ? known.text : fieldText(record, field)
    const text = fieldText(record, field)
    if (this.byHash.size < MAX_INTERNED_VALUES) {
      this.byHash.set(hash, { bytes: Buffer.from(bytes.subarray(start, end)), text })
    }
    return text
  }
}

function sameBytes(known: Buffer, bytes: Buffer, start: number, end: number): boolean {
  if (known.length !== end - start) return false
  for (let index = 0; index < known.length; index++) if (known[index] !== bytes[start + index]) return false
  return true
}
