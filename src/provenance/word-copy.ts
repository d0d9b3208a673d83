/*
 * Records are built from short runs of bytes — keys, cells, digests. Copied a byte at a time they cost several times
 * what four bytes at a time through a DataView cost, which V8 compiles to plain unaligned loads and stores.
 */

/** A DataView over exactly the bytes of `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * Copies `length` bytes from `from` at `fromOffset` to `to` at `toOffset`, four at a time; the last four are copied
 * from `length - 4`, overlapping the ones before. The two ranges must not overlap each other.
 */
export function copyWords(
  from: DataView,
  fromOffset: number,
  to: DataView,
  toOffset: number,
  length: number,
): void {
  if (length < 4) {
    for (let offset = 0; offset < length; offset++)
      to.setUint8(toOffset + offset, from.getUint8(fromOffset + offset))
    return
  }
  const last = length - 4
  for (let offset = 0; offset < last; offset += 4)
    to.setInt32(toOffset + offset, from.getInt32(fromOffset + offset, true), true)
  to.setInt32(toOffset + last, from.getInt32(fromOffset + last, true), true)
}
