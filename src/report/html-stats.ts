import type { RecordReport } from '../domain/index.js'

/** Counts of records per equal-width suspicion bin over [0,1]; `flagged[b]` is a subset of `total[b]`. */
export interface SuspicionHistogram {
  binCount: number
  total: Float64Array
  flagged: Float64Array
  /** Lowest suspicion among flagged records, or undefined when nothing is flagged. */
  minFlaggedSuspicion: number | undefined
}

/** Builds the suspicion histogram in one pass; out-of-range scores are clamped and NaN is left out. */
export function buildSuspicionHistogram(records: readonly RecordReport[], binCount = 20): SuspicionHistogram {
  const total = new Float64Array(binCount)
  const flagged = new Float64Array(binCount)
  let minFlagged = Number.POSITIVE_INFINITY
  for (let i = 0; i < records.length; i++) {
    const record = records[i]
    const suspicion = record.suspicion
    if (Number.isNaN(suspicion)) continue
    const scaled = Math.floor(suspicion * binCount)
    const bin = scaled < 0 ? 0 : scaled >= binCount ? binCount - 1 : scaled
    total[bin]++
    if (record.flagged) {
      flagged[bin]++
      if (suspicion < minFlagged) minFlagged = suspicion
    }
  }
  return {
    binCount,
    total,
    flagged,
    minFlaggedSuspicion: Number.isFinite(minFlagged) ? minFlagged : undefined,
  }
}

/** True when record `a` ranks below record `b`: lower suspicion, or equal suspicion and later in the input. */
function ranksBelow(keys: Float64Array, rows: Int32Array, a: number, b: number): boolean {
  return keys[a] < keys[b] || (keys[a] === keys[b] && rows[a] > rows[b])
}

function siftDown(keys: Float64Array, rows: Int32Array, size: number, start: number): void {
  let parent = start
  for (;;) {
    const left = 2 * parent + 1
    if (left >= size) return
    const right = left + 1
    const child = right < size && ranksBelow(keys, rows, right, left) ? right : left
    if (!ranksBelow(keys, rows, child, parent)) return
    swap(keys, rows, child, parent)
    parent = child
  }
}

function siftUp(keys: Float64Array, rows: Int32Array, start: number): void {
  let child = start
  while (child > 0) {
    const parent = (child - 1) >> 1
    if (!ranksBelow(keys, rows, child, parent)) return
    swap(keys, rows, child, parent)
    child = parent
  }
}

function swap(keys: Float64Array, rows: Int32Array, a: number, b: number): void {
  const key = keys[a]
  keys[a] = keys[b]
  keys[b] = key
  const row = rows[a]
  rows[a] = rows[b]
  rows[b] = row
}

/**
 * Row indices of the `count` flagged records with the highest suspicion, most suspicious first (ties keep input
 * order); one pass with a bounded min-heap, so a million records cost O(rows · log count).
 */
export function selectTopFlagged(records: readonly RecordReport[], count: number): Int32Array {
  const capacity = Math.max(0, Math.floor(count))
  const keys = new Float64Array(capacity)
  const rows = new Int32Array(capacity)
  let size = 0
  for (let row = 0; row < records.length && capacity > 0; row++) {
    const record = records[row]
    if (!record.flagged) continue
    const key = Number.isNaN(record.suspicion) ? Number.NEGATIVE_INFINITY : record.suspicion
    if (size < capacity) {
      keys[size] = key
      rows[size] = row
      siftUp(keys, rows, size++)
    } else if (key > keys[0]) {
      // Equal keys never replace the root: the earlier record wins the tie.
      keys[0] = key
      rows[0] = row
      siftDown(keys, rows, size, 0)
    }
  }
  // Pop the minimum to the end repeatedly, leaving the best record first.
  for (let end = size - 1; end > 0; end--) {
    swap(keys, rows, 0, end)
    siftDown(keys, rows, end, 0)
  }
  return rows.slice(0, size)
}
