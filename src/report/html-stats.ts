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
