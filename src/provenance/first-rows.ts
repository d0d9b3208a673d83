import { ByteKeys } from './byte-keys.js'

/**
 * A `FirstRows`'s ids in order of arrival: entries back to back in `pool` (`ends[e]` ends entry `e`), each followed
 * by `successors[e]` ids that are not kept as bytes, each the `nextCounter` of the one before; and whether each id
 * came after the one before.
 */
export interface RecordedIds {
  readonly pool: Uint8Array
  readonly ends: Int32Array
  readonly successors: Int32Array
  readonly ascending: boolean
}

/**
 * The row each id first appeared on, keyed by the id's UTF-8 bytes: a million ids kept as strings would be promoted
 * and traced by the garbage collector again and again, which cost more than the check.
 *
 * Ids usually arrive in order (counters, `r1`, `r2`, …, zero-padded keys). While each id comes after the one before
 * in shortlex order they cannot repeat, so they are only kept, not looked up: probing a table of a million ids
 * missed the cache on nearly every record. Most such ids are counters, each the one before with its number counted
 * up (`nextCounter`), and those are only counted: copying every id into the table, and growing it, took about a
 * tenth of a create's CPU. The first id out of order writes out the counted ids and indexes them all, and every id
 * from then on is looked up.
 */
export class FirstRows {
  /** The ids kept as bytes: every id, once `spell` has run, but while ids ascend only those no counter predicts. */
  private ids = new ByteKeys()
  /** How many counted ids follow each entry of `ids`. */
  private successors = new Int32Array(1 << 10)
  /** Ids seen, counted ones included: the entry number of the next id, once all are spelled out. */
  private arrived = 0
  /** Whether some counted ids are not yet spelled out in `ids`. */
  private counted = false
  /** The last id to arrive, and the counter after it (length -1 when it has none). */
  private last = Buffer.alloc(64)
  private lastLength = 0
  private next = Buffer.alloc(64)
  private nextLength = -1
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
    const entries = this.ids.entries()
    return {
      ...entries,
      successors: this.successors.subarray(0, entries.ends.length),
      ascending: this.ascending,
    }
  }

  /** Whether none of `other`'s ids is among these (without recording them). */
  sharesNone(other: RecordedIds): boolean {
    const { pool, ends, ascending } = other
    if (ends.length === 0) return true
    // Two runs in shortlex order, the second starting after the first ends, cannot share an id.
    if (this.ascending && ascending && this.follows(pool, 0, ends[0])) return true
    this.spell()
    let shared = false
    forEachId(other, (bytes, start, end) => {
      shared = this.ids.lookup(bytes, start, end) >= 0
      return !shared
    })
    return !shared
  }

  /** The row the id `bytes[start, end)` appeared on before, or -1 when it is new (it is then recorded on `row`). */
  firstRow(bytes: Uint8Array, start: number, end: number, row: number): number {
    const added = this.arrived
    if (this.ascending && this.isNext(bytes, start, end)) {
      this.successors[this.ids.count - 1]++
      this.counted = true
      this.advance()
    } else if (this.ascending && this.follows(bytes, start, end)) {
      this.keep(bytes, start, end)
    } else {
      this.ascending = false
      this.spell()
      const entry = this.ids.intern(bytes, start, end)
      if (entry >= 0) return this.rowOf(entry)
    }
    this.arrived++
    const last = this.runs - 1
    if (last < 0 || this.runRows[last] + (added - this.runEntries[last]) !== row) this.startRun(added, row)
    return -1
  }

  /** Whether `bytes[start, end)` is the counter after the last id. */
  private isNext(bytes: Uint8Array, start: number, end: number): boolean {
    if (end - start !== this.nextLength) return false
    const next = this.next
    for (let offset = start; offset < end; offset++) if (bytes[offset] !== next[offset - start]) return false
    return true
  }

  /** Makes the counter after the last id the last id. */
  private advance(): void {
    const last = this.last
    this.last = this.next
    this.lastLength = this.nextLength
    this.next = last
    this.setNext()
  }

  /** Keeps `bytes[start, end)`, an id in order that no counter predicted, as bytes. */
  private keep(bytes: Uint8Array, start: number, end: number): void {
    const entry = this.ids.append(bytes, start, end)
    if (entry === this.successors.length) {
      const successors = new Int32Array(2 * entry)
      successors.set(this.successors)
      this.successors = successors
    }
    this.successors[entry] = 0
    if (end - start > this.last.length) this.last = Buffer.alloc(2 * (end - start))
    const last = this.last
    for (let offset = start; offset < end; offset++) last[offset - start] = bytes[offset]
    this.lastLength = end - start
    this.setNext()
  }

  private setNext(): void {
    if (this.next.length <= this.lastLength) this.next = Buffer.alloc(2 * this.lastLength + 1)
    this.nextLength = nextCounter(this.last, this.lastLength, this.next)
  }

  /** Whether `bytes[start, end)` comes after the last id in shortlex order (shorter first, then bytewise). */
  private follows(bytes: Uint8Array, start: number, end: number): boolean {
    if (this.arrived === 0) return true
    return compareShortlex(bytes, start, end, this.last, 0, this.lastLength) > 0
  }

  /** Writes out the counted ids, so `ids` holds every id, numbered in order of arrival. */
  private spell(): void {
    if (!this.counted) return
    const spelled = new ByteKeys()
    forEachId(this.recorded(), (bytes, start, end) => {
      spelled.append(bytes, start, end)
      return true
    })
    this.ids = spelled
    this.successors = new Int32Array(Math.max(1 << 10, 2 * spelled.count))
    this.counted = false
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

/**
 * Hands every id of `ids` in order of arrival to `visit` (as `bytes[start, end)`, valid only during the call), the
 * counted ones spelled out, until `visit` returns false.
 */
export function forEachId(
  ids: RecordedIds,
  visit: (bytes: Uint8Array, start: number, end: number) => boolean,
): void {
  const { pool, ends, successors } = ids
  let scratch = Buffer.alloc(64)
  let spare = Buffer.alloc(64)
  let start = 0
  for (let entry = 0; entry < ends.length; entry++) {
    const end = ends[entry]
    if (!visit(pool, start, end)) return
    let length = end - start
    if (successors[entry] > 0) {
      if (scratch.length <= length) {
        scratch = Buffer.alloc(2 * length + 1)
        spare = Buffer.alloc(2 * length + 1)
      }
      scratch.set(pool.subarray(start, end))
      for (let counted = 0; counted < successors[entry]; counted++) {
        length = nextCounter(scratch, length, spare)
        if (!visit(spare, 0, length)) return
        const visited = spare
        spare = scratch.length <= length ? Buffer.alloc(2 * length + 1) : scratch
        scratch = visited
      }
    }
    start = end
  }
}

const DIGIT_0 = 0x30
const DIGIT_9 = 0x39

/**
 * Writes into `to` the counter after the id `from[0, length)` — its trailing decimal digits counted up by one, the
 * width kept while it can be (`r9` → `r10`, `a0099` → `a0100`, `999` → `1000`) — and returns its length, or -1
 * when the id does not end in a digit. It always comes after the id in shortlex order. `to` must hold
 * `length + 1` bytes.
 */
export function nextCounter(from: Uint8Array, length: number, to: Uint8Array): number {
  let position = length - 1
  if (position < 0 || from[position] < DIGIT_0 || from[position] > DIGIT_9) return -1
  for (let offset = 0; offset < length; offset++) to[offset] = from[offset]
  while (position >= 0 && to[position] === DIGIT_9) to[position--] = DIGIT_0
  if (position >= 0 && to[position] >= DIGIT_0 && to[position] < DIGIT_9) {
    to[position]++
    return length
  }
  // Every trailing digit was a 9: one more digit in front of them.
  to.copyWithin(position + 2, position + 1, length)
  to[position + 1] = DIGIT_0 + 1
  return length + 1
}

/** Shortlex order of two byte ranges (shorter first, then bytewise): negative, zero or positive. */
function compareShortlex(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  if (aEnd - aStart !== bEnd - bStart) return aEnd - aStart - (bEnd - bStart)
  for (let offset = 0; offset < aEnd - aStart; offset++) {
    const difference = a[aStart + offset] - b[bStart + offset]
    if (difference !== 0) return difference
  }
  return 0
}
