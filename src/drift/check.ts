import { countLabels, type Dataset } from '../data/dataset.js'
import type { DatasetSummary, FindingKind, RecordReport, Severity } from '../domain/index.js'
import { severityOrder } from '../domain/index.js'
import { version } from '../version.js'
import { type ColumnSummary, DEFAULT_SKETCH_ABOVE_ROWS, summarizeColumns } from './columns.js'
import { DEFAULT_MMD_ROWS_PER_SIDE, type MmdResult } from './mmd.js'
import { checkRunsTextTests, DEFAULT_ALPHA, type MmdInputs, mmdInputs } from './mmd-job.js'
import {
  type DriftSample,
  type DriftTestOptions,
  runDriftTests,
  type SourceSummaries,
  startMmd,
  summarizeSources,
} from './run-tests.js'
import type { DatasetSchema } from './schema.js'
import { inferSchema } from './schema-infer.js'
import { createVocabulary, tokenizeTexts } from './tokens.js'
import type { CheckFinding, CheckReport, CheckSummary, DriftTestResult } from './types.js'
import { checkColumns, validateRows } from './validate.js'

export interface CheckOptions extends DriftTestOptions {
  /** Rules for the batch; inferred from the reference when absent. */
  schema?: DatasetSchema
  /** Where `schema` was read from, for the report. */
  schemaPath?: string
  /** Id and source column names, for an inferred schema. */
  idColumn?: string
  sourceColumn?: string
  /** Run the text tests when both sides have text; default true. */
  text?: boolean
  /** Most schema-violating rows listed in the report; default 10,000. */
  maxRecords?: number
  createdAt?: Date
  /**
   * The wait for the MMD test of these two datasets, started elsewhere on `checkMmdInputs` (e.g. while the files
   * were still being read); used instead of `mmdRunner`. Only when `checkMmdInputs` gives inputs.
   */
  startedMmd?: () => MmdResult
  /** `summarizeSide` of the batch, computed earlier (e.g. while the reference was still being read). */
  batchSummaries?: SideSummaries
  /** `summarizeSide` of the reference, computed earlier (e.g. on the thread that read it). */
  referenceSummaries?: SideSummaries
}

/** Summaries of one side's columns, whole and per source, as the drift tests use them. */
export interface SideSummaries {
  columns: readonly ColumnSummary[]
  sources?: SourceSummaries
}

/** What a check reads of each side to decide its MMD test. */
type MmdCheckSide = Pick<Dataset, 'features' | 'featureNames' | 'texts'>

function withTextTests(reference: MmdCheckSide, batch: MmdCheckSide, options: CheckOptions): boolean {
  return checkRunsTextTests(reference.texts !== undefined, batch.texts !== undefined, options.text)
}

/**
 * The MMD test `checkBatch` would run on another thread, as inputs another thread can run before the check with
 * the same result; undefined when the check runs it on its own thread (after the text tests) or not at all.
 */
export function checkMmdInputs(
  reference: MmdCheckSide,
  batch: MmdCheckSide,
  options: CheckOptions,
): MmdInputs | undefined {
  return mmdInputs(reference, batch, options, withTextTests(reference, batch, options))
}

/** The options of a check that `summarizeSide` reads. */
export type SideSummaryOptions = Pick<
  CheckOptions,
  'sketchAboveRows' | 'seed' | 'perSource' | 'minSourceRows'
>

/**
 * Summaries of one side's columns, whole and per source, as `checkBatch` computes them, for `batchSummaries` or
 * `referenceSummaries`.
 */
export function summarizeSide(
  side: Pick<Dataset, 'features' | 'sources'>,
  options: SideSummaryOptions = {},
): SideSummaries {
  if (!side.features) return { columns: [] }
  const columns = summarizeColumns(side.features, {
    sketchAboveRows: options.sketchAboveRows,
    seed: options.seed ?? 0,
  })
  const perSource = options.perSource !== false && side.sources
  return {
    columns,
    ...(perSource
      ? { sources: summarizeSources(side.features, side.sources!, columns, options.minSourceRows) }
      : {}),
  }
}

function summarizeDataset(dataset: Dataset): DatasetSummary {
  return {
    path: dataset.origin.path,
    format: dataset.origin.format,
    rows: dataset.rowCount,
    labels: dataset.labels ? countLabels(dataset.labels) : {},
    sha256: dataset.origin.sha256,
    featureCount: dataset.features?.cols ?? 0,
    ...(dataset.labels ? { labelColumn: dataset.labels.name } : {}),
    ...(dataset.textColumn ? { textColumn: dataset.textColumn } : {}),
    ...(dataset.imageShape ? { imageShape: { ...dataset.imageShape } } : {}),
    warnings: [...dataset.warnings],
  }
}

function rowNumberIds(ids: readonly string[]): boolean {
  return ids.every((id, row) => id === String(row + 1))
}

function driftFinding(test: DriftTestResult): CheckFinding {
  return {
    detector: 'drift',
    kind: 'drift',
    severity: test.severity!,
    score: Math.round(1000 * Math.min(1, Math.max(0, 1 - test.qValue))) / 1000,
    explanation:
      test.source === undefined
        ? test.explanation
        : `source ${JSON.stringify(test.source)}: ${test.explanation}`,
    ...(test.column !== undefined ? { column: test.column } : {}),
    ...(test.source !== undefined ? { source: test.source } : {}),
    testId: test.id,
  }
}

function worstFirst(a: CheckFinding, b: CheckFinding): number {
  return severityOrder.indexOf(b.severity) - severityOrder.indexOf(a.severity) || b.score - a.score
}

function summarize(
  tests: DriftTestResult[],
  findings: CheckFinding[],
  records: readonly RecordReport[],
  schemaRows: number,
): CheckSummary {
  const bySeverity: Record<Severity, number> = { low: 0, medium: 0, high: 0 }
  const byKind: Partial<Record<FindingKind, number>> = {}
  for (const finding of findings) {
    bySeverity[finding.severity]++
    byKind[finding.kind] = (byKind[finding.kind] ?? 0) + 1
  }
  const severities = [
    ...findings.map((finding) => finding.severity),
    ...records.map((record) => record.severity),
  ]
  const worst = [...severityOrder].reverse().find((severity) => severities.includes(severity)) ?? null
  const significantTests = tests.filter((test) => test.significant).length
  return {
    tests: tests.length,
    significantTests,
    drifted: significantTests > 0,
    findings: findings.length,
    bySeverity,
    byKind,
    schemaRows,
    worstSeverity: worst,
  }
}

/** Features the schema declares categorical, with their allowed values. */
function categoricalFeatures(schema: DatasetSchema): Map<string, number[]> {
  return new Map(
    schema.features
      .filter((feature) => feature.type === 'categorical' && feature.values)
      .map((feature) => [feature.name, feature.values!]),
  )
}

function reportParams(options: CheckOptions): Record<string, unknown> {
  return {
    alpha: options.alpha ?? DEFAULT_ALPHA,
    correction: 'benjamini-hochberg',
    seed: options.seed ?? 0,
    permutations: options.permutations ?? 200,
    mmd: options.mmd !== false,
    mmdMaxRowsPerSide: options.mmdMaxRowsPerSide ?? DEFAULT_MMD_ROWS_PER_SIDE,
    mmdMaxDimensions: options.mmdMaxDimensions ?? 32,
    minSourceRows: options.minSourceRows ?? 30,
    topTokens: options.topTokens ?? 100,
    sketchAboveRows: options.sketchAboveRows ?? DEFAULT_SKETCH_ABOVE_ROWS,
    maxRecords: options.maxRecords ?? 10_000,
  }
}

/** What a reader of the report should know about how the tests were run on this data. */
function reportWarnings(reference: Dataset, batch: Dataset, options: CheckOptions): string[] {
  const warnings: string[] = []
  const sketchAbove = options.sketchAboveRows ?? DEFAULT_SKETCH_ABOVE_ROWS
  if (Math.max(reference.rowCount, batch.rowCount) > sketchAbove)
    warnings.push(
      `columns of more than ${sketchAbove} rows were summarised by KLL sketches; their KS tests discount the sketch error`,
    )
  const mmdRows = options.mmdMaxRowsPerSide ?? DEFAULT_MMD_ROWS_PER_SIDE
  if (options.mmd !== false && Math.max(reference.rowCount, batch.rowCount) > mmdRows)
    warnings.push(`the MMD test used a random sample of at most ${mmdRows} rows per side`)
  return warnings
}

/** Both sides for the drift tests; texts are tokenised into one shared vocabulary. */
function driftSamples(
  reference: Dataset,
  batch: Dataset,
  summaries: readonly ColumnSummary[],
  options: CheckOptions,
  withText: boolean,
) {
  const vocabulary = createVocabulary()
  const sample = (
    dataset: Dataset,
    columnSummaries?: readonly ColumnSummary[],
    sourceSummaries?: SourceSummaries,
  ): DriftSample => ({
    rowCount: dataset.rowCount,
    features: dataset.features,
    featureNames: dataset.featureNames,
    summaries: columnSummaries,
    ...(sourceSummaries ? { sourceSummaries } : {}),
    labels: dataset.labels,
    corpus: withText ? tokenizeTexts(dataset.texts!, vocabulary) : undefined,
    textColumn: dataset.textColumn,
    sources: dataset.sources,
  })
  return {
    reference: sample(reference, summaries, options.referenceSummaries?.sources),
    batch: sample(batch, options.batchSummaries?.columns, options.batchSummaries?.sources),
  }
}

/**
 * Checks a new batch against a trusted reference: schema rules per column and per row, then drift of every
 * feature, the labels, the text, the source mix, all features jointly (MMD) and each source, with one
 * Benjamini–Hochberg correction over all tests. Mismatched columns become findings, not errors.
 */
export function checkBatch(reference: Dataset, batch: Dataset, options: CheckOptions = {}): CheckReport {
  const withText = withTextTests(reference, batch, options)
  // Started first, so that on a runner it overlaps the schema, the summaries and every per-column test.
  const mmd = options.startedMmd ?? (withText ? undefined : startMmd(reference, batch, options))
  const summaries =
    options.referenceSummaries?.columns ??
    (reference.features
      ? summarizeColumns(reference.features, { sketchAboveRows: options.sketchAboveRows, seed: options.seed })
      : [])
  const { idColumn, sourceColumn } = options
  const schema =
    options.schema ?? inferSchema(reference, { summaries, idColumn, sourceColumn, batchRows: batch.rowCount })
  const checkIds = schema.id?.unique && !rowNumberIds(batch.ids)
  const validation = validateRows(schema, batch, {
    referenceIds: checkIds ? new Set(reference.ids) : undefined,
    maxRecords: options.maxRecords,
  })
  const samples = driftSamples(reference, batch, summaries, options, withText)
  const testOptions = {
    ...options,
    categoricalFeatures: options.categoricalFeatures ?? categoricalFeatures(schema),
  }
  const tests = runDriftTests(samples.reference, samples.batch, testOptions, mmd)
  const findings = [
    ...checkColumns(schema, batch, reference.diagnostics),
    ...validation.findings,
    ...tests.filter((test) => test.significant).map(driftFinding),
  ].sort(worstFirst)
  return {
    tool: { name: 'poisonguard', version },
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    batch: summarizeDataset(batch),
    reference: summarizeDataset(reference),
    schema: options.schema
      ? { origin: 'file', ...(options.schemaPath ? { path: options.schemaPath } : {}) }
      : { origin: 'inferred' },
    params: reportParams(options),
    tests,
    findings,
    records: validation.records,
    summary: summarize(tests, findings, validation.records, validation.violatingRows),
    warnings: reportWarnings(reference, batch, options),
  }
}
