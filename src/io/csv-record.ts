// Apart from the tokenizer, whose module makes a Node buffer as it loads, so the readers of the columns a CSV record
// fills load in a browser too.

const QUOTE = 34

/** Field flag: the field is wrapped in quotes. */
export const QUOTED = 1
/** Field flag: the quoted field contains `""` escapes. */
export const ESCAPED = 2

/**
 * One CSV record as byte ranges into `bytes`; the object and its arrays are reused for the next record, so read
 * what you need inside the callback.
 */
export interface CsvRecord {
  bytes: Buffer
  /** First byte of the record; for the header this includes a UTF-8 BOM. */
  start: number
  /** After the line terminator (or at the end of the file). */
  end: number
  fieldCount: number
  /** Raw field extents, quotes included. */
  fieldStarts: Int32Array
  fieldEnds: Int32Array
  fieldFlags: Uint8Array
  /** Fields wrapped in quotes. */
  quotedFieldCount: number
  /** Physical 1-based line on which the record starts. */
  line: number
  /** File offset of `start`. */
  byteOffset: number
}

/** The text of a field: quotes removed, `""` unescaped. */
export function fieldText(record: CsvRecord, index: number): string {
  let start = record.fieldStarts[index]
  let end = record.fieldEnds[index]
  const flags = record.fieldFlags[index]
  if (flags & QUOTED) {
    start++
    end--
  }
  return flags & ESCAPED ? unescapedText(record.bytes, start, end) : record.bytes.toString('utf8', start, end)
}

/**
 * Decodes the inside of a quoted field with each `""` turned into `"` first, in bytes: unescaping the decoded text
 * made a second string of every such field (most e-mails in a text column) for the collector to sweep.
 */
function unescapedText(bytes: Buffer, start: number, end: number): string {
  const unescaped = Buffer.allocUnsafe(end - start)
  let length = 0
  let position = start
  for (;;) {
    // The closing quote sits at `end`, and inside the field quotes come in pairs, so the search stops by `end`.
    const quote = bytes.indexOf(QUOTE, position)
    if (quote >= end) break
    length += bytes.copy(unescaped, length, position, quote + 1)
    position = quote + 2
  }
  length += bytes.copy(unescaped, length, position, end)
  return unescaped.toString('utf8', 0, length)
}
