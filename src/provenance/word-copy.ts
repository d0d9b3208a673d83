/*
 * Records are built from short runs of bytes — keys, cells, digests. Copied a byte at a time they cost several times
 * what four bytes at a time through a DataView cost, which V8 compiles to plain unaligned loads and stores.
 */

/** A DataView over exactly the bytes of `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * Copies `length` bytes from `from` at `fromOffset` to `to` at `toOffset`, four at a time, then the two and the one
 * left over. The two ranges must not overlap each other.
 *
 * Every length takes the same steps, so a run shorter than four bytes, first met after the compiler has made code
 * of the steps seen so far, does not throw that code away (as a loop of its own for short runs did: a part's reader
 * met its first cell of three bytes, `1.2000` trimmed, after its record loop was compiled).
 */
export function copyWords(
  from: DataView,
  fromOffset: number,
  to: DataView,
  toOffset: number,
  length: number,
): void {
  let offset = 0
  for (const words = length - 3; offset < words; offset += 4)
    to.setInt32(toOffset + offset, from.getInt32(fromOffset + offset, true), true)
  if (length & 2) {
    to.setInt16(toOffset + offset, from.getInt16(fromOffset + offset, true), true)
    offset += 2
  }
  if (length & 1) to.setUint8(toOffset + offset, from.getUint8(fromOffset + offset))
}
