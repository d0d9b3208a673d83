import type { RecordReport, ScanReport } from '../domain/index.js'

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

/** The label a flagged record should carry when all of its evidence is a label flip (score-weighted vote). */
function suggestedRelabel(record: RecordReport): string | undefined {
  if (record.findings.some((finding) => finding.kind !== 'label_issue')) return undefined
  const votes = new Map<string, number>()
  for (const { suggestedLabel, score } of record.findings) {
    if (suggestedLabel !== undefined && suggestedLabel !== record.label)
      votes.set(suggestedLabel, (votes.get(suggestedLabel) ?? 0) + score)
  }
  let best: string | undefined
  for (const [label, score] of votes) if (best === undefined || score > votes.get(best)!) best = label
  return best
}

/** Which records a relabelled copy keeps (1) and the new label of each relabelled row. */
export interface RelabelPlan {
  keep: Uint8Array
  relabel: Map<number, string>
}

/**
 * What a relabelled copy holds: flagged records whose only evidence is a label flip stay, under the suggested label;
 * every other flagged record (backdoor, flood, …) and every record of a quarantined source is dropped.
 */
export function relabelPlan(report: ScanReport, options: CleanOptions = {}): RelabelPlan {
  const keep = cleanKeepMask(report, options)
  const quarantined =
    options.dropSourcesAbove === undefined
      ? new Set<string>()
      : sourcesFlaggedAbove(report, options.dropSourcesAbove)
  const relabel = new Map<number, string>()
  report.records.forEach((record, row) => {
    if (!record.flagged || (record.source !== undefined && quarantined.has(record.source))) return
    const label = suggestedRelabel(record)
    if (label === undefined) return
    keep[row] = 1
    relabel.set(row, label)
  })
  return { keep, relabel }
}
