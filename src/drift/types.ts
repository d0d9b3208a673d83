import type { DatasetSummary, Finding, FindingKind, RecordReport, Severity } from '../domain/index.js'

/** The statistical tests a check runs; each declares its own statistic, p-value and effect sizes. */
export type DriftTestKind =
  | 'ks'
  | 'chi-square'
  | 'label-prior'
  | 'source-mix'
  | 'token-distribution'
  | 'token-burst'
  | 'mmd'

/** What a test looks at: one feature column, the labels, a text column, the source column, or all features. */
export type DriftTarget = 'feature' | 'label' | 'text' | 'source' | 'features'

/** One dataset-level two-sample test of the batch (or one source's rows of it) against the reference. */
export interface DriftTestResult {
  /** Stable id, e.g. `feature:age`, `label`, `text:body:tokens`, `features:mmd`, with `@source` for one source. */
  id: string
  test: DriftTestKind
  target: DriftTarget
  column?: string
  /** Set when only this source's batch rows were tested. */
  source?: string
  /** Which reference rows the batch rows were compared with. */
  comparedWith: 'reference' | 'same-source'
  rows: { reference: number; batch: number }
  /** How the p-value was computed, e.g. `exact`, `asymptotic`, `permutation (200)`, `fisher + bonferroni`. */
  method: string
  statistic: number
  pValue: number
  /** Benjamini–Hochberg adjusted p-value over every test of the check. */
  qValue: number
  /** q ≤ α. */
  significant: boolean
  /** Effect sizes beside the p-value (sample size does not inflate them), by name. */
  effects: Record<string, number>
  /** From the effect sizes when significant, else null. */
  severity: Severity | null
  explanation: string
  /** Data for plots and explanations: CDF curves, class shares, changed or bursting tokens. */
  details?: Record<string, unknown>
}

/** A dataset-level finding: a significant drift test or a schema rule broken by the batch as a whole. */
export interface CheckFinding extends Finding {
  kind: Extract<FindingKind, 'drift' | 'schema'>
  severity: Severity
  column?: string
  source?: string
  /** The drift test behind the finding. */
  testId?: string
  /** Batch rows involved (schema findings about rows). */
  rowCount?: number
}

export interface CheckSummary {
  tests: number
  significantTests: number
  /** Some drift test is significant at α after Benjamini–Hochberg. */
  drifted: boolean
  findings: number
  bySeverity: Record<Severity, number>
  byKind: Partial<Record<FindingKind, number>>
  /** Batch rows with at least one schema finding. */
  schemaRows: number
  /** Worst severity of any finding or record, null when clean. */
  worstSeverity: Severity | null
}

/** The JSON report of `poisonguard check`: dataset-level tests and findings, plus the rows breaking the schema. */
export interface CheckReport {
  tool: { name: 'poisonguard'; version: string }
  createdAt: string
  batch: DatasetSummary
  reference: DatasetSummary
  schema: { origin: 'file' | 'inferred'; path?: string }
  params: Record<string, unknown>
  tests: DriftTestResult[]
  /** Worst first. */
  findings: CheckFinding[]
  /** Batch rows with schema findings, in input order, at most `params.maxRecords` of them. */
  records: RecordReport[]
  summary: CheckSummary
  warnings: string[]
}
