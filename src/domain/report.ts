import type { Finding, FindingKind, OperatingPoint, Severity } from './findings.js'

export interface RecordReport {
  id: string
  /** Calibrated suspicion in [0,1] after fusing every detector; higher is more suspicious. */
  suspicion: number
  flagged: boolean
  severity: Severity | null
  label?: string
  source?: string
  findings: Finding[]
}

export type DetectorStatus = 'ok' | 'skipped' | 'failed'

export interface DetectorReport {
  id: string
  status: DetectorStatus
  durationMs: number
  flagged: number
  params: Record<string, unknown>
  /** Why the detector was skipped or failed. */
  reason?: string
  info?: Record<string, unknown>
  warnings?: string[]
}

/** The manifest a scanned dataset was verified against, and how far its signature could be trusted. */
export interface DatasetProvenance {
  manifest: string
  manifestSha256: string
  /** `verified`: signed by the given key; `unsigned`: no signature at all; `unchecked`: signed, but no key given. */
  signature: 'verified' | 'unsigned' | 'unchecked'
  /** Key ids the manifest names as its signers. */
  keyIds: string[]
}

export interface DatasetSummary {
  path: string
  format: string
  rows: number
  labels: Record<string, number>
  sha256: string
  featureCount: number
  labelColumn?: string
  textColumn?: string
  imageShape?: { width: number; height: number }
  warnings: string[]
  /** Present when the dataset was verified against a manifest (`scan --manifest`). */
  provenance?: DatasetProvenance
}

export interface ScanSummary {
  flagged: number
  operatingPoint: OperatingPoint
  bySeverity: Record<Severity, number>
  byKind: Partial<Record<FindingKind, number>>
  bySource: Record<string, { rows: number; flagged: number }>
  byLabel: Record<string, { rows: number; flagged: number }>
}

/** The report contract (README, "The report"): one entry per input record, in input order. */
export interface ScanReport {
  tool: { name: 'poisonguard'; version: string }
  createdAt: string
  dataset: DatasetSummary
  detectors: DetectorReport[]
  records: RecordReport[]
  summary: ScanSummary
}
