import type { ScanReport } from '../domain/index.js'

export interface CleanOptions {
  /** Drop every record of a source whose flagged share exceeds this, in [0,1]. */
  dropSourcesAbove?: number
}

/** Sources whose share of flagged records exceeds `share`, so they can be quarantined whole. */
export function sourcesFlaggedAbove(report: ScanReport, share: number): Set<string> {
  const quarantined = new Set<string>()
  for (const [source, counts] of Object.entries(report.summary.bySource)) {
    if (counts.rows > 0 && counts.flagged / counts.rows > share) quarantined.add(source)
  }
  return quarantined
}

/** 1 for each record a cleaned copy keeps: not flagged, and not from a quarantined source. */
export function cleanKeepMask(report: ScanReport, options: CleanOptions = {}): Uint8Array {
  const quarantined =
    options.dropSourcesAbove === undefined
      ? new Set<string>()
      : sourcesFlaggedAbove(report, options.dropSourcesAbove)
  return Uint8Array.from(report.records, (record) =>
    record.flagged || (record.source !== undefined && quarantined.has(record.source)) ? 0 : 1,
  )
}
