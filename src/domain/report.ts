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
  /** Records the scan flagged on this detector's evidence. */
  flagged: number
  /** Records the detector marked at its own operating point, where that differs from `flagged`. */
  candidates?: number
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
  /** Colour images carry `channels: 3`, their pixels interleaved (see `ImageShape`). */
  imageShape?: { width: number; height: number; channels?: 1 | 3 }
  warnings: string[]
  /** Present when the dataset was verified against a manifest (`scan --manifest`). */
  provenance?: DatasetProvenance
  /** Present when only a seeded random sample of the records was scanned (`scan --max-rows`). */
  sample?: { rows: number; totalRows: number; seed: number }
}

/** How the flagged records were chosen: by false-discovery control over the whole dataset. */
export interface FalseDiscoverySummary {
  /** Target expected share of false alarms among the flagged records (`--fdr`). */
  rate: number
  /** Expected number of false alarms among the flagged records (the sum of their false-alarm chances). */
  expectedFalseAlarms: number
  /** Detectors whose dataset-level test found nothing at `rate`, so they flagged nothing. */
  quietDetectors: string[]
}

/** What a scan concludes about the dataset as a whole, printed before anything else. */
export type DatasetVerdict = 'clean' | 'suspicious' | 'poisoned'

/** An attack a detector found at the dataset level: a trigger, an attacked class pair, a poisoned cluster, … */
export interface DetectedAttack {
  detector: string
  kind: FindingKind
  /** One line for people: "token 'cf' carried by 145 rows labelled ham". */
  description: string
  /** The class the attack pushes records into, when it has one. */
  label?: string
  /** Records the attack is estimated to have poisoned (carriers, members of the pair, the cluster). */
  records: number
  /** P-value of the detector's dataset-level test for this attack, when it has one. */
  pValue?: number
}

export interface VerdictSummary {
  verdict: DatasetVerdict
  /** One sentence saying why. */
  reason: string
  attacks: DetectedAttack[]
  /** Every dataset-level test run, with its p-value (detectors that have one). */
  evidence: { detector: string; pValue: number }[]
}

export interface ScanSummary {
  /** The dataset-level conclusion; absent in reports written before verdicts existed. */
  verdict?: VerdictSummary
  flagged: number
  operatingPoint: OperatingPoint
  falseDiscovery?: FalseDiscoverySummary
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
  /** How the analyses detectors share were computed, where that bears on the results. */
  analyses?: { neighbours?: NeighbourSearchReport; memory?: MemoryReport }
}

/** What a scan moved out of memory past its budget (`--max-memory`); absent when nothing had to move. */
export interface MemoryReport {
  /** The budget for the scan's large arrays, in bytes. */
  maxBytes: number
  /** Bytes written to the temporary file, and what they held. */
  spilledBytes: number
  spilled: { what: string; bytes: number }[]
}

/** How the neighbour graph was searched: exactly, or approximately with its measured recall against exact search. */
export interface NeighbourSearchReport {
  method: 'exact' | 'ivf'
  /** Neighbours kept per record. */
  k: number
  /** Approximate only: share of the exact `recallAt` nearest neighbours found, over `recallSample` sampled records. */
  recall?: number
  recallAt?: number
  recallSample?: number
  /**
   * Inverted lists of the index, and how many each record is filed under: a list's records are searched among the
   * records filed under it.
   */
  lists?: number
  probes?: number
}
