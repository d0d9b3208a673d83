import { isUtf8 } from 'node:buffer'

/**
 * Checks that a stream of chunks is valid UTF-8 without decoding it: each chunk up to its last complete sequence
 * goes to `isUtf8`, and a sequence split between chunks is checked once its bytes have all arrived. Decoding only
 * to throw the text away cost about a tenth of reading a large CSV.
 */
export class Utf8Stream {
  private tail = Buffer.alloc(0)

  /** False when the bytes so far are not valid UTF-8. */
  push(chunk: Buffer): boolean {
    let start = 0
    if (this.tail.length > 0) {
      const needed = sequenceLength(this.tail[0]) - this.tail.length
      const taken = Math.min(needed, chunk.length)
      const joined = Buffer.concat([this.tail, chunk.subarray(0, taken)])
      if (taken < needed) {
        this.tail = joined
        return true
      }
      if (!isUtf8(joined)) return false
      start = taken
      this.tail = Buffer.alloc(0)
    }
    const end = completeEnd(chunk, start)
    if (!isUtf8(chunk.subarray(start, end))) return false
    this.tail = Buffer.from(chunk.subarray(end))
    return true
  }

  /** False when the stream ended inside a sequence. */
  finish(): boolean {
    return this.tail.length === 0
  }
}

/** Bytes of the sequence a lead byte starts; 1 for ASCII and for bytes that cannot lead (`isUtf8` rejects them). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf7) return 4
  if (lead >= 0xe0 && lead <= 0xef) return 3
  if (lead >= 0xc0 && lead <= 0xdf) return 2
  return 1
}

/** The end of the last complete sequence in `chunk[start:]`: before a lead byte whose sequence runs past the end. */
function completeEnd(chunk: Buffer, start: number): number {
  let lead = chunk.length - 1
  while (lead >= start && lead > chunk.length - 4 && (chunk[lead] & 0xc0) === 0x80) lead--
  if (lead < start) return chunk.length
  return lead + sequenceLength(chunk[lead]) > chunk.length ? lead : chunk.length
}
