/** Arrays a scan can move out of memory and read back. */
export type SpillableArray = Float32Array | Int32Array

/** Where a spilled array lies in its store: its element type, its length in values and its first byte. */
export interface SpilledArray {
  readonly type: 'float32' | 'int32'
  readonly length: number
  readonly byteOffset: number
}

/**
 * Somewhere outside memory (the Node entry's `createSpillFile`: a temporary file) where a scan puts large arrays it
 * holds but does not read for a while, and from where it reads them back, a block at a time.
 */
export interface SpillStore {
  /** Writes `array` out; the caller may drop the array afterwards. */
  write(array: SpillableArray): SpilledArray
  /** Fills `into` with the values of `spilled` from value `start` on (`into.length` values, all within it). */
  read(spilled: SpilledArray, start: number, into: SpillableArray): void
  /** Bytes written so far. */
  readonly bytesWritten: number
  /** Where the store keeps what it writes, for messages (a folder). */
  readonly location: string
}

/**
 * A memory budget for a scan's large arrays (bytes): past it, the arrays that are not read at random while the scan
 * goes on are written to `spill` and read back when asked for.
 */
export interface MemoryBudget {
  readonly maxBytes: number
  readonly spill: SpillStore
}

/** What a scan spilled past its memory budget, for the report. */
export interface SpillRecord {
  /** What was spilled, e.g. `neighbour graph (50 per record)`. */
  readonly what: string
  readonly bytes: number
}
