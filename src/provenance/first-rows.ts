import { fnv1a, mixHash } from '../util/hashing.js'

/**
 * The row each id first appeared on: an open-addressing table whose slots hold the id's hash, its position in a
 * list of the ids and its row, which for a million ids takes half the time of a Map and no entry object per id.
 */
export class FirstRows {
  private readonly ids: string[] = []
  /** Position + 1 of an id in `ids`, 0 for an empty slot; `hashes` and `rows` hold each slot's id hash and row. */
  private slots = new Int32Array(1 << 16)
  private hashes = new Uint32Array(1 << 16)
  private rows = new Float64Array(1 << 16)

  /** The row `id` appeared on before, or -1 when it is new (it is then recorded as appearing on `row`). */
  firstRow(id: string, row: number): number {
    if (2 * (this.ids.length + 1) > this.slots.length) this.grow()
    const hash = fnv1a(id)
    const mask = this.slots.length - 1
    let slot = mixHash(hash) & mask
    for (let entry = this.slots[slot]; entry !== 0; entry = this.slots[slot]) {
      if (this.hashes[slot] === hash && this.ids[entry - 1] === id) return this.rows[slot]
      slot = (slot + 1) & mask
    }
    this.ids.push(id)
    this.slots[slot] = this.ids.length
    this.hashes[slot] = hash
    this.rows[slot] = row
    return -1
  }

  private grow(): void {
    const { slots, hashes, rows } = this
    this.slots = new Int32Array(2 * slots.length)
    this.hashes = new Uint32Array(2 * slots.length)
    this.rows = new Float64Array(2 * slots.length)
    const mask = this.slots.length - 1
    for (let old = 0; old < slots.length; old++) {
      if (slots[old] === 0) continue
      let slot = mixHash(hashes[old]) & mask
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask
      this.slots[slot] = slots[old]
      this.hashes[slot] = hashes[old]
      this.rows[slot] = rows[old]
    }
  }
}
