import { closeSync, openSync, readSync } from 'node:fs'

const QUOTE = 0x22
const LF = 0x0a
/** The first byte of a UTF-8 byte-order mark, which a reader starting at a cut would skip. */
const BOM_START = 0xef

/**
 * Where a CSV file can be cut so that the part after the cut reads on its own as it reads within the whole file:
 * just after the first line feed at or after `from` outside quotes, counting the quotes from the start of the file.
 * -1 when there is no such place with a record after it.
 *
 * The count is a guess: the tokenizer takes a quote inside an unquoted field (`5"`) as an ordinary byte, which flips
 * the count. So the reader of the part before the cut must confirm that a record of its own ends exactly there.
 */
export function csvCutAfter(path: string, from: number, chunkBytes = 1 << 20): number {
  const descriptor = openSync(path, 'r')
  try {
    const chunk = Buffer.alloc(chunkBytes)
    let inQuotes = false
    for (let position = 0; ; ) {
      const length = readSync(descriptor, chunk, 0, chunkBytes, position)
      if (length === 0) return -1
      let index = 0
      // Before `from` only the quotes count, found by a native search.
      const counted = Math.min(length, Math.max(0, from - position))
      for (
        index = chunk.indexOf(QUOTE, 0);
        index >= 0 && index < counted;
        index = chunk.indexOf(QUOTE, index + 1)
      )
        inQuotes = !inQuotes
      for (index = counted; index < length; index++) {
        const byte = chunk[index]
        if (byte === QUOTE) inQuotes = !inQuotes
        else if (byte === LF && !inQuotes) {
          const cut = position + index + 1
          const next = Buffer.alloc(1)
          if (readSync(descriptor, next, 0, 1, cut) === 0) return -1
          if (next[0] !== BOM_START) return cut
        }
      }
      position += length
    }
  } finally {
    closeSync(descriptor)
  }
}
