import { FNV_OFFSET_BASIS, FNV_PRIME, mixHash } from '../util/hashing.js'

const EMPTY_SLOT = 0

/**
 * Dense entry numbers (0, 1, 2, …) for byte strings, looked up straight from the bytes a record was read into, so
 * no string is made per lookup. Open addressing over one array of (entry + 1, hash) pairs, so a probe touches one
 * cache line; the keys are copied back to back into one growing pool rather than kept as a million small objects
 * for the garbage collector to trace.
 */
export class ByteKeys {
  /** Keys back to back; entry `e` spans `ends[e - 1]` (0 for the first) to `ends[e]`. */
  private pool = new Uint8Array(1 << 16)
  private ends = new Int32Array(1 << 10)
  count = 0
  /** Pairs of (entry + 1, hash); entry + 1 is 0 for an empty slot. The hash is kept so growing rehashes nothing. */
  private slots = new Int32Array(2 << 11)
  private mask = (1 << 11) - 1

  /** Entries below this are in the table; `append` adds entries above it. */
  private indexed = 0

  /** The entry of `bytes[start, end)`, or `-1 - entry` when it is new and has just been given that entry. */
  intern(bytes: Uint8Array, start: number, end: number): number {
    if (this.indexed < this.count) this.indexAll()
    if (2 * (this.count + 1) > this.mask + 1) this.grow()
    const hash = hashBytes(bytes, start, end)
    const slot = this.find(hash, bytes, start, end)
    const entry = this.slots[2 * slot] - 1
    if (entry >= 0) return entry
    const added = this.store(bytes, start, end)
    this.insert(slot, added, hash)
    this.indexed = this.count
    return -1 - added
  }

  /** The entry of `bytes[start, end)`, or -1 when there is none; adds nothing. */
  lookup(bytes: Uint8Array, start: number, end: number): number {
    if (this.indexed < this.count) this.indexAll()
    return this.slots[2 * this.find(hashBytes(bytes, start, end), bytes, start, end)] - 1
  }

  /** Every key, back to back in `pool`, entry `e` ending at `ends[e]`; views into the table's own buffers. */
  entries(): { pool: Uint8Array; ends: Int32Array } {
    return { pool: this.pool.subarray(0, this.startOf(this.count)), ends: this.ends.subarray(0, this.count) }
  }

  /**
   * Adds `bytes[start, end)` as the next entry without looking it up, for a caller that knows it is new; it is
   * indexed by the next `intern`. Returns the entry.
   */
  append(bytes: Uint8Array, start: number, end: number): number {
    return this.store(bytes, start, end)
  }

  /** Whether `entry` is the key `bytes[start, end)`. */
  holds(entry: number, bytes: Uint8Array, start: number, end: number): boolean {
    const from = this.startOf(entry)
    if (this.ends[entry] - from !== end - start) return false
    const pool = this.pool
    for (let offset = 0; offset < end - start; offset++)
      if (pool[from + offset] !== bytes[start + offset]) return false
    return true
  }

  private indexAll(): void {
    for (let entry = this.indexed; entry < this.count; entry++) {
      if (2 * (entry + 1) > this.mask + 1) this.grow()
      const start = this.startOf(entry)
      const hash = hashBytes(this.pool, start, this.ends[entry])
      this.insert(this.find(hash, this.pool, start, this.ends[entry]), entry, hash)
    }
    this.indexed = this.count
  }

  /** The slot holding the key, or the empty slot where it would go. */
  private find(hash: number, bytes: Uint8Array, start: number, end: number): number {
    const slots = this.slots
    const mask = this.mask
    let slot = hash & mask
    for (let entry = slots[2 * slot]; entry !== EMPTY_SLOT; entry = slots[2 * slot]) {
      if (slots[2 * slot + 1] === hash && this.holds(entry - 1, bytes, start, end)) return slot
      slot = (slot + 1) & mask
    }
    return slot
  }

  private insert(slot: number, entry: number, hash: number): void {
    this.slots[2 * slot] = entry + 1
    this.slots[2 * slot + 1] = hash
  }

  private startOf(entry: number): number {
    return entry === 0 ? 0 : this.ends[entry - 1]
  }

  private store(bytes: Uint8Array, start: number, end: number): number {
    const entry = this.count++
    const from = this.startOf(entry)
    const to = from + end - start
    if (to > this.pool.length) this.pool = grown(this.pool, Math.max(2 * this.pool.length, to))
    if (entry === this.ends.length) this.ends = grown(this.ends, 2 * this.ends.length)
    const pool = this.pool
    for (let offset = start; offset < end; offset++) pool[from + offset - start] = bytes[offset]
    this.ends[entry] = to
    return entry
  }

  private grow(): void {
    const old = this.slots
    const size = 2 * (this.mask + 1)
    const slots = new Int32Array(2 * size)
    const mask = size - 1
    for (let index = 0; index < old.length; index += 2) {
      if (old[index] === EMPTY_SLOT) continue
      let slot = old[index + 1] & mask
      while (slots[2 * slot] !== EMPTY_SLOT) slot = (slot + 1) & mask
      slots[2 * slot] = old[index]
      slots[2 * slot + 1] = old[index + 1]
    }
    this.slots = slots
    this.mask = mask
  }
}

/** FNV-1a over bytes, then mixed: FNV's low bits, which pick the slot, are weak for short keys. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET_BASIS
  for (let offset = start; offset < end; offset++) hash = Math.imul(hash ^ bytes[offset], FNV_PRIME)
  return mixHash(hash >>> 0) | 0
}

function grown<T extends Uint8Array | Int32Array>(from: T, length: number): T {
  const to = new (from.constructor as new (length: number) => T)(length)
  to.set(from)
  return to
}
