import type { TextLine } from '../io/lines.js'
import type { RecordTable } from './record-table.js'
import { RoleValues } from './role-values.js'

const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COMMA = 0x2c
const QUOTE = 0x22
const BACKSLASH = 0x5c
const N = 0x6e
const U = 0x75
const L = 0x6c

/** Value of each hex digit byte, -1 for every other byte. */
const HEX_VALUES = new Int8Array(256).fill(-1)
for (let digit = 0; digit < 16; digit++) {
  HEX_VALUES['0123456789abcdef'.charCodeAt(digit)] = digit
  HEX_VALUES['0123456789ABCDEF'.charCodeAt(digit)] = digit
}

/**
 * Reads sidecar rows straight from their bytes when they are as the writer makes them — `["id",source,label,"hex"]`
 * with no spaces and every string printable ASCII without escapes — so a million rows cost no `JSON.parse` and no
 * string per repeated source or label. Any other row is left to the JSON path, which reads every valid row.
 */
export class SidecarRowReader {
  private readonly sources = new RoleValues()
  private readonly labels = new RoleValues()
  private readonly digest = Buffer.alloc(32)
  private valueEnd = 0

  /** Adds the row to `table` and returns true, or returns false (adding nothing) when the JSON path must read it. */
  add(line: TextLine, table: RecordTable): boolean {
    const { bytes, contentEnd } = line
    let at = line.start
    if (bytes[at++] !== OPEN_BRACKET || bytes[at++] !== QUOTE) return false
    const idStart = at
    const idEnd = plainStringEnd(bytes, at, contentEnd)
    if (idEnd < 0 || bytes[idEnd + 1] !== COMMA) return false
    const source = this.value(this.sources, bytes, idEnd + 2, contentEnd)
    if (source === undefined || bytes[this.valueEnd] !== COMMA) return false
    const label = this.value(this.labels, bytes, this.valueEnd + 1, contentEnd)
    if (label === undefined || bytes[this.valueEnd] !== COMMA) return false
    at = this.valueEnd + 1
    if (at + 67 !== contentEnd || bytes[at] !== QUOTE || bytes[at + 65] !== QUOTE) return false
    if (bytes[at + 66] !== CLOSE_BRACKET || !this.readDigest(bytes, at + 1)) return false
    table.add(bytes.toString('latin1', idStart, idEnd), source, label, this.digest)
    return true
  }

  /** A source or label (`null` or a plain string) starting at `at`; sets `valueEnd` past it. */
  private value(values: RoleValues, bytes: Buffer, at: number, limit: number): string | null | undefined {
    if (bytes[at] === QUOTE) {
      const end = plainStringEnd(bytes, at + 1, limit)
      if (end < 0) return undefined
      this.valueEnd = end + 1
      return values.lookup(bytes, at + 1, end).text
    }
    if (
      at + 4 > limit ||
      bytes[at] !== N ||
      bytes[at + 1] !== U ||
      bytes[at + 2] !== L ||
      bytes[at + 3] !== L
    )
      return undefined
    this.valueEnd = at + 4
    return null
  }

  private readDigest(bytes: Buffer, at: number): boolean {
    const digest = this.digest
    for (let index = 0; index < 32; index++) {
      const high = HEX_VALUES[bytes[at + 2 * index]]
      const low = HEX_VALUES[bytes[at + 2 * index + 1]]
      if ((high | low) < 0) return false
      digest[index] = (high << 4) | low
    }
    return true
  }
}

/** The position of the quote closing a string of printable ASCII without escapes that starts at `at`, or -1. */
function plainStringEnd(bytes: Buffer, at: number, limit: number): number {
  for (let position = at; position < limit; position++) {
    const byte = bytes[position]
    if (byte === QUOTE) return position
    if (byte < 0x20 || byte > 0x7e || byte === BACKSLASH) return -1
  }
  return -1
}
