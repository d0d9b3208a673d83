import type { Finding, FindingKind, RecordReport, ScanReport } from '../domain/index.js'
import type { AttackView } from './attacks.js'

/**
 * Flagged records that share one cause: one attack of the verdict (a trigger, a flood, a class pair), or else the
 * same strongest finding (detector, kind, given and suggested label). Each flagged record is in exactly one group.
 */
export interface FindingGroup {
  /** Stable across renders of one report, for anchors and the review app's routes. */
  readonly key: string
  /** Index into the attack views when the group is an attack's records. */
  readonly attackIndex?: number
  readonly detector: string
  readonly kind: FindingKind
  readonly label?: string
  readonly suggestedLabel?: string
  /** Rows, most suspicious first. */
  readonly rows: Int32Array
  /** The explanation of the most suspicious record, shown once for the whole group. */
  readonly explanation: string
}

/** The finding with the highest score, the first of equal ones. */
export function strongest(findings: readonly Finding[]): Finding | undefined {
  let best: Finding | undefined
  for (const finding of findings) if (!best || finding.score > best.score) best = finding
  return best
}

/** The label the most confident detector that suggests one suggests for the record. */
export function suggestedLabelOf(record: RecordReport): string | undefined {
  return strongest(record.findings.filter((finding) => finding.suggestedLabel !== undefined))?.suggestedLabel
}

function findingOf(report: ScanReport, row: number, detector: string): Finding | undefined {
  return strongest(report.records[row].findings.filter((finding) => finding.detector === detector))
}

/** Groups the flagged records by cause, attacks first in verdict order, then the largest other groups. */
export function groupFlaggedRecords(report: ScanReport, attacks: readonly AttackView[]): FindingGroup[] {
  const claimed = new Uint8Array(report.records.length)
  const groups: FindingGroup[] = []
  attacks.forEach((view, attackIndex) => {
    const rows = view.rows.filter((row) => claimed[row] === 0)
    if (rows.length === 0) return
    for (const row of rows) claimed[row] = 1
    groups.push({
      key: `attack-${attackIndex}`,
      attackIndex,
      detector: view.attack.detector,
      kind: view.attack.kind,
      label: view.attack.label,
      rows,
      explanation: findingOf(report, rows[0], view.attack.detector)?.explanation ?? view.attack.description,
    })
  })
  const rest = new Map<string, { finding: Finding; label?: string; rows: number[] }>()
  report.records.forEach((record, row) => {
    if (!record.flagged || claimed[row]) return
    const finding = strongest(record.findings)
    if (!finding) return
    const key = [finding.detector, finding.kind, record.label ?? '', finding.suggestedLabel ?? ''].join(
      '\u0000',
    )
    const entry = rest.get(key) ?? { finding, label: record.label, rows: [] }
    entry.rows.push(row)
    rest.set(key, entry)
  })
  const bySuspicion = (a: number, b: number) => report.records[b].suspicion - report.records[a].suspicion
  const others = [...rest.values()]
    .map((entry) => ({ ...entry, rows: Int32Array.from(entry.rows).sort(bySuspicion) }))
    .sort((a, b) => b.rows.length - a.rows.length)
  others.forEach((entry, index) => {
    groups.push({
      key: `group-${index}`,
      detector: entry.finding.detector,
      kind: entry.finding.kind,
      label: entry.label,
      suggestedLabel: entry.finding.suggestedLabel,
      rows: entry.rows,
      explanation: findingOf(report, entry.rows[0], entry.finding.detector)?.explanation ?? '',
    })
  })
  return groups
}

/** Scores one detector gave, binned over [0,1]: all records it reported on, and those flagged in the end. */
export interface DetectorScoreHistogram {
  readonly detector: string
  readonly total: Uint32Array
  readonly flagged: Uint32Array
}

/** One score histogram per detector that reported a finding, in the order of the report's detectors. */
export function detectorScoreHistograms(report: ScanReport, binCount = 20): DetectorScoreHistogram[] {
  const byDetector = new Map<string, DetectorScoreHistogram>()
  for (const detector of report.detectors)
    byDetector.set(detector.id, {
      detector: detector.id,
      total: new Uint32Array(binCount),
      flagged: new Uint32Array(binCount),
    })
  for (const record of report.records) {
    for (const finding of record.findings) {
      const histogram = byDetector.get(finding.detector)
      if (!histogram || !Number.isFinite(finding.score)) continue
      const bin = Math.min(binCount - 1, Math.max(0, Math.floor(finding.score * binCount)))
      histogram.total[bin]++
      if (record.flagged) histogram.flagged[bin]++
    }
  }
  return [...byDetector.values()].filter((histogram) => histogram.total.some((count) => count > 0))
}
