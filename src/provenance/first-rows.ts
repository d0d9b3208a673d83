import { fnv1a, mixHash } from '../util/hashing.js'

/**
 * The row each id first appeared on: an open-addressing table whose slots hold the id's hash, its entry and its
 * row. The ids' characters are copied into one growing array rather than kept as strings: a million retained
 * strings would be promoted and traced by the garbage collector again and again, which cost more than the check.
 */
export class FirstRows {
  /** UTF-16 units of every id seen, back to back; entry `e` spans `ends[e - 1]` (0 for the first) to `ends[e]`. */
  private chars = new Uint16Array(1 << 20)
  private ends = new Int32Array(1 << 16)
  /** The row of each entry. */
  private rows = new Float64Array(1 << 16)
  private entries = 0
  /** Entry + 1 of an id, 0 for an empty slot; `hashes` holds each slot's mixed id hash, so growing rehashes nothing. */
  private slots = new Int32Array(1 << 16)
  private hashes = new Uint32Array(1 << 16)

  /** The row `id` appeared on before, or -1 when it is new (it is then recorded as appearing on `row`). */
  firstRow(id: string, row: number): number {
    if (2 * (this.entries + 1) > this.slots.length) this.grow()
    const hash = mixHash(fnv1a(id))
    const mask = this.slots.length - 1
    let slot = hash & mask
    for (let entry = this.slots[slot]; entry !== 0; entry = this.slots[slot]) {
      if (this.hashes[slot] === hash && this.holds(entry - 1, id)) return this.rows[entry - 1]
      slot = (slot + 1) & mask
    }
    this.store(id, row)
    this.slots[slot] = this.entries
    this.hashes[slot] = hash
    return -1
  }

  private holds(entry: number, id: string): boolean {
    const start = entry === 0 ? 0 : this.ends[entry - 1]
    if (this.ends[entry] - start !== id.length) return false
    for (let index = 0; index < id.length; index++)
      if (this.chars[start + index] !== id.charCodeAt(index)) return false
    return true
  }

  private store(id: string, row: number): void {
    const start = this.entries === 0 ? 0 : this.ends[this.entries - 1]
    if (start + id.length > this.chars.length) {
      const grown = new Uint16Array(Math.max(2 * this.chars.length, start + id.length))
      grown.set(this.chars)
      this.chars = grown
    }
    if (this.entries === this.ends.length) {
      const ends = new Int32Array(2 * this.ends.length)
      ends.set(this.ends)
      this.ends = ends
      const rows = new Float64Array(2 * this.rows.length)
      rows.set(this.rows)
      this.rows = rows
    }
    for (let index = 0; index < id.length; index++) this.chars[start + index] = id.charCodeAt(index)
    this.rows[this.entries] = row
    this.ends[this.entries++] = start + id.length
  }

  private grow(): void {
    const { slots, hashes } = this
    this.slots = new Int32Array(2 * slots.length)
    this.hashes = new Uint32Array(2 * slots.length)
    const mask = this.slots.length - 1
    for (let old = 0; old < slots.length; old++) {
      if (slots[old] === 0) continue
      let slot = hashes[old] & mask
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask
      this.slots[slot] = slots[old]
      this.hashes[slot] = hashes[old]
    }
  }
}
