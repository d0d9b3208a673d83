import { countLabels, type Dataset } from '../data/dataset.js'
import type {
  DetectorReport,
  FindingKind,
  RecordReport,
  ScanReport,
  ScanSummary,
  Severity,
} from '../domain/index.js'
import { version } from '../version.js'
import { type FusedScores, type FusionOptions, roundScore } from './fusion.js'
import type { DetectorOutcome } from './pipeline.js'
import { judgeDataset } from './verdict.js'

/**
 * A detector's entry. `flagged` counts the records the scan flagged on its evidence, so no line of the report says
 * a detector flags hundreds of records the scan does not: a neighbour vote marks every record of a small class whose
 * neighbours lie elsewhere, and confident learning every label a weak model puts elsewhere, and false-discovery
 * control keeps few of them. `candidates` counts what the detector marked at its own operating point.
 */
function describeOutcome(outcome: DetectorOutcome, scanFlagged: ReadonlyMap<string, number>): DetectorReport {
  const report: DetectorReport = {
    id: outcome.detector.id,
    status: outcome.status,
    durationMs: Math.round(outcome.durationMs),
    flagged: 0,
    params: (outcome.params ?? {}) as Record<string, unknown>,
  }
  if (outcome.status === 'ok') {
    let candidates = 0
    for (const flag of outcome.result.flagged) candidates += flag
    report.flagged = scanFlagged.get(outcome.detector.id) ?? 0
    if (candidates !== report.flagged) report.candidates = candidates
    report.info = outcome.result.info
    if (outcome.result.warnings.length > 0) report.warnings = [...outcome.result.warnings]
  } else {
    report.reason = outcome.reason
  }
  return report
}

/** How many flagged records each detector has a finding on. */
function flaggedByDetector(records: readonly RecordReport[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const record of records) {
    if (!record.flagged) continue
    for (const { detector } of record.findings) counts.set(detector, (counts.get(detector) ?? 0) + 1)
  }
  return counts
}

function summarise(
  records: readonly RecordReport[],
  fused: FusedScores,
  operatingPoint: FusionOptions,
): ScanSummary {
  const { flagAbove, mediumAbove, highAbove, fdr } = operatingPoint
  const summary: ScanSummary = {
    flagged: 0,
    operatingPoint: { flagAbove, mediumAbove, highAbove },
    falseDiscovery: {
      rate: fdr,
      expectedFalseAlarms: Math.round(fused.expectedFalseAlarms * 100) / 100,
      quietDetectors: fused.quietDetectors,
    },
    bySeverity: { low: 0, medium: 0, high: 0 },
    byKind: {},
    bySource: {},
    byLabel: {},
  }
  const tally = (table: Record<string, { rows: number; flagged: number }>, key: string, flagged: boolean) => {
    table[key] ??= { rows: 0, flagged: 0 }
    table[key].rows++
    if (flagged) table[key].flagged++
  }
  for (const record of records) {
    if (record.flagged) summary.flagged++
    if (record.severity) summary.bySeverity[record.severity as Severity]++
    for (const kind of new Set<FindingKind>(record.findings.map((finding) => finding.kind))) {
      summary.byKind[kind] = (summary.byKind[kind] ?? 0) + 1
    }
    if (record.source !== undefined) tally(summary.bySource, record.source, record.flagged)
    if (record.label !== undefined) tally(summary.byLabel, record.label, record.flagged)
  }
  return summary
}

/** Builds the report contract (README, "The report") from a dataset, detector outcomes and fused scores. */
export function buildScanReport(
  dataset: Dataset,
  outcomes: readonly DetectorOutcome[],
  fused: FusedScores,
  operatingPoint: FusionOptions,
  createdAt: Date,
): ScanReport {
  const records: RecordReport[] = dataset.ids.map((id, row) => {
    const record: RecordReport = {
      id,
      suspicion: roundScore(fused.suspicion[row]),
      flagged: fused.flagged[row] === 1,
      severity: fused.severities[row],
      findings: fused.findings[row],
    }
    const code = dataset.labels?.codes[row] ?? -1
    if (code >= 0) record.label = dataset.labels!.classes[code]
    if (dataset.sources) record.source = dataset.sources[row]
    return record
  })
  const scanFlagged = flaggedByDetector(records)
  return {
    tool: { name: 'poisonguard', version },
    createdAt: createdAt.toISOString(),
    dataset: {
      path: dataset.origin.path,
      format: dataset.origin.format,
      rows: dataset.rowCount,
      labels: dataset.labels ? countLabels(dataset.labels) : {},
      sha256: dataset.origin.sha256,
      featureCount: dataset.embeddings?.cols ?? dataset.features?.cols ?? 0,
      ...(dataset.labels ? { labelColumn: dataset.labels.name } : {}),
      ...(dataset.textColumn ? { textColumn: dataset.textColumn } : {}),
      ...(dataset.imageShape ? { imageShape: { ...dataset.imageShape } } : {}),
      warnings: [...dataset.warnings],
    },
    detectors: outcomes.map((outcome) => describeOutcome(outcome, scanFlagged)),
    records,
    summary: {
      verdict: judgeDataset(outcomes, records, fused.quietDetectors, operatingPoint.fdr),
      ...summarise(records, fused, operatingPoint),
    },
  }
}
