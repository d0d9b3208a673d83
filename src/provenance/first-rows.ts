import { ByteKeys } from './byte-keys.js'

/** A `FirstRows`'s ids back to back (`ends[e]` ends entry `e`), and whether each came after the one before. */
export interface RecordedIds {
  readonly pool: Uint8Array
  readonly ends: Int32Array
  readonly ascending: boolean
}

/**
 * The row each id first appeared on, keyed by the id's UTF-8 bytes: a million ids kept as strings would be promoted
 * and traced by the garbage collector again and again, which cost more than the check.
 *
 * Ids usually arrive in order (counters, `r1`, `r2`, …, zero-padded keys). While each id comes after the one before
 * in shortlex order they cannot repeat, so they are only kept, not looked up: probing a table of a million ids
 * missed the cache on nearly every record. The first id out of order indexes the ones kept so far, and every id
 * from then on is looked up.
 */
export class FirstRows {
  private readonly ids = new ByteKeys()
  /**
   * The row of each entry, as runs: entries are numbered in order of their rows, and nearly always one row after
   * another, so a run keeps only its first entry and that entry's row. A table of a row per entry was written for
   * every record and read only for a repeat, and growing it cost as much as keeping the ids.
   */
  private runEntries = new Int32Array(16)
  private runRows = new Float64Array(16)
  private runs = 0
  private ascending = true

  /** The ids recorded, in order of arrival; views into the table's buffers. */
  recorded(): RecordedIds {
    return { ...this.ids.entries(), ascending: this.ascending }
  }

  /** Whether none of `other`'s ids is among these (without recording them). */
  sharesNone(other: RecordedIds): boolean {
    const { pool, ends, ascending } = other
    if (ends.length === 0) return true
    // Two runs in shortlex order, the second starting after the first ends, cannot share an id.
    if (this.ascending && ascending && this.ids.followsLast(pool, 0, ends[0])) return true
    let start = 0
    for (let entry = 0; entry < ends.length; entry++) {
      if (this.ids.lookup(pool, start, ends[entry]) >= 0) return false
      start = ends[entry]
    }
    return true
  }

  /** The row the id `bytes[start, end)` appeared on before, or -1 when it is new (it is then recorded on `row`). */
  firstRow(bytes: Uint8Array, start: number, end: number, row: number): number {
    let added: number
    if (this.ascending && this.ids.followsLast(bytes, start, end)) {
      added = this.ids.append(bytes, start, end)
    } else {
      this.ascending = false
      const entry = this.ids.intern(bytes, start, end)
      if (entry >= 0) return this.rowOf(entry)
      added = -1 - entry
    }
    const last = this.runs - 1
    if (last < 0 || this.runRows[last] + (added - this.runEntries[last]) !== row) this.startRun(added, row)
    return -1
  }

  private startRun(entry: number, row: number): void {
    if (this.runs === this.runEntries.length) {
      const entries = new Int32Array(2 * this.runs)
      entries.set(this.runEntries)
      this.runEntries = entries
      const rows = new Float64Array(2 * this.runs)
      rows.set(this.runRows)
      this.runRows = rows
    }
    this.runEntries[this.runs] = entry
    this.runRows[this.runs++] = row
  }

  /** The row of `entry`, from the last run starting at or before it. */
  private rowOf(entry: number): number {
    let low = 0
    let high = this.runs - 1
    while (low < high) {
      const middle = (low + high + 1) >>> 1
      if (this.runEntries[middle] <= entry) low = middle
      else high = middle - 1
    }
    return this.runRows[low] + (entry - this.runEntries[low])
  }
}
