import type { LabelColumn } from '../data/dataset.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { benjaminiHochberg } from '../stats/multiple-testing.js'
import { fractionDetail, type ProgressOptions, progressReporter } from '../util/progress.js'
import { createRng, type Rng } from '../util/rng.js'
import {
  type ColumnSummary,
  type SummaryOptions,
  summarizeColumns,
  summarizeDisjointSubsets,
} from './columns.js'
import {
  categoricalFeatureTest,
  categoryTest,
  countCodes,
  countNames,
  numericFeatureTest,
  type PendingTest,
  type TestScope,
} from './drift-tests.js'
import { type MmdResult, type MmdRunner, mmdTest } from './mmd.js'
import { commonFeatures, DEFAULT_ALPHA, mmdInputs, mmdJob, mmdMatrices } from './mmd-job.js'
import { mmdPending, tokenBurstPending, tokenDistributionPending } from './multivariate-tests.js'
import { documentFrequencies, selectDocuments, type TokenizedCorpus } from './tokens.js'
import type { DriftTestResult } from './types.js'

/** One side of a comparison: the parts of a dataset the drift tests read. */
export interface DriftSample {
  readonly rowCount: number
  readonly features?: FeatureMatrix
  readonly featureNames: readonly string[]
  /** Summaries aligned with `featureNames`; computed on demand when absent. */
  readonly summaries?: readonly ColumnSummary[]
  readonly labels?: LabelColumn
  /** Tokenised texts; both sides must share one vocabulary. */
  readonly corpus?: TokenizedCorpus
  readonly textColumn?: string
  readonly sources?: readonly string[]
  /** `summarizeSources` of this side, computed earlier; else the per-source summaries are computed when needed. */
  readonly sourceSummaries?: SourceSummaries
}

/** The rows of each source of one side and the column summaries of those with enough rows to be tested. */
export interface SourceSummaries {
  readonly rows: ReadonlyMap<string, Int32Array>
  readonly summaries: ReadonlyMap<Int32Array, readonly ColumnSummary[]>
}

export interface DriftTestOptions extends ProgressOptions {
  /** False-discovery level of Benjamini–Hochberg over all tests; default 0.01. */
  alpha?: number
  seed?: number
  /** Permutations of the MMD and token-distribution tests; default 200. */
  permutations?: number
  mmd?: boolean
  mmdMaxRowsPerSide?: number
  mmdMaxDimensions?: number
  /** Token-distribution test (permutations); bursts always run when both sides have text. */
  tokenDistribution?: boolean
  /** Repeat the tests per source of the batch; default true. */
  perSource?: boolean
  /** Sources with fewer batch rows are not tested on their own; default 30. */
  minSourceRows?: number
  topTokens?: number
  sketchAboveRows?: number
  exactKsMaxProduct?: number
  /** Features compared as categories, with their allowed values (from the schema). */
  categoricalFeatures?: ReadonlyMap<string, readonly number[]>
  /**
   * Where the MMD test runs (e.g. a worker thread, beside the per-column tests) when no other test draws random
   * numbers, i.e. without text tests; the result is the same. Default: on this thread, after the feature tests.
   */
  mmdRunner?: MmdRunner
  onProgress?: (fractionDone: number) => void
}

interface Context {
  options: DriftTestOptions
  rng: Rng
  summary: SummaryOptions
  /** Common features as [name, reference column, batch column]. */
  common: [string, number, number][]
  /** A function stands for a test whose result comes last (the MMD on a runner). */
  pending: (PendingTest | (() => PendingTest))[]
  /** Summaries of every row of a side that came without them. */
  summaries: Map<DriftSample, readonly ColumnSummary[]>
  /** Summaries of row subsets (sources), computed together for all subsets of a side. */
  subsetSummaries: Map<Int32Array, readonly ColumnSummary[]>
  /** Waits for the MMD result of `options.mmdRunner`, when it was started. */
  mmd?: () => MmdResult
}

/** Summaries of every column of one side, or of its `rows`; those of every row are computed once. */
function summariesOf(sample: DriftSample, context: Context, rows?: Int32Array): readonly ColumnSummary[] {
  let whole = sample.summaries ?? context.summaries.get(sample)
  if (!whole) {
    whole = summarizeColumns(sample.features!, context.summary)
    context.summaries.set(sample, whole)
  }
  if (!rows) return whole
  return (
    context.subsetSummaries.get(rows) ??
    summarizeColumns(sample.features!, { ...context.summary, rows, whole })
  )
}

/** Summaries of disjoint row subsets of one side, computed in one walk per column and kept for `summariesOf`. */
function summarizeSubsets(sample: DriftSample, context: Context, subsets: Int32Array[]): void {
  if (context.common.length === 0 || subsets.length === 0) return
  const ahead = sample.sourceSummaries?.summaries
  if (ahead && subsets.every((rows) => ahead.has(rows))) {
    for (const rows of subsets) context.subsetSummaries.set(rows, ahead.get(rows)!)
    return
  }
  const whole = summariesOf(sample, context)
  const summaries = summarizeDisjointSubsets(sample.features!, subsets, whole)
  summaries?.forEach((summary, index) => {
    context.subsetSummaries.set(subsets[index], summary)
  })
}

/**
 * The per-source summaries the drift tests of a batch would compute, computed ahead (e.g. while the reference is
 * still being read): the sources with at least `minSourceRows` rows, when there are two sources or more.
 */
export function summarizeSources(
  features: FeatureMatrix,
  sources: readonly string[],
  whole: readonly ColumnSummary[],
  minSourceRows = 30,
): SourceSummaries {
  const rows = rowsBySource(sources)
  const tested = rows.size < 2 ? [] : [...rows.values()].filter((subset) => subset.length >= minSourceRows)
  const summaries = new Map<Int32Array, readonly ColumnSummary[]>()
  if (tested.length > 0)
    summarizeDisjointSubsets(features, tested, whole)?.forEach((summary, index) => {
      summaries.set(tested[index], summary)
    })
  return { rows, summaries }
}

/** Row subsets of either side (one source); absent means all rows. */
interface RowSubsets {
  reference?: Int32Array
  batch?: Int32Array
}

function addFeatureTests(
  reference: DriftSample,
  batch: DriftSample,
  scope: TestScope,
  context: Context,
  rows: RowSubsets,
) {
  const { options, pending } = context
  if (context.common.length === 0) return
  const referenceSummaries = summariesOf(reference, context, rows.reference)
  const batchSummaries = summariesOf(batch, context, rows.batch)
  for (const [name, referenceCol, batchCol] of context.common) {
    const referenceSummary = referenceSummaries[referenceCol]
    const batchSummary = batchSummaries[batchCol]
    const values = options.categoricalFeatures?.get(name)
    pending.push(
      values
        ? categoricalFeatureTest(name, referenceSummary, batchSummary, values, scope)
        : numericFeatureTest(name, referenceSummary, batchSummary, scope, options.exactKsMaxProduct),
    )
  }
}

function addLabelTest(
  reference: DriftSample,
  batch: DriftSample,
  scope: TestScope,
  context: Context,
  rows: RowSubsets,
) {
  if (!reference.labels || !batch.labels) return
  const counted = countCodes(
    { codes: reference.labels.codes, names: reference.labels.classes, rows: rows.reference },
    { codes: batch.labels.codes, names: batch.labels.classes, rows: rows.batch },
  )
  const column = batch.labels.name
  context.pending.push(
    categoryTest({
      id: 'label',
      test: 'label-prior',
      target: 'label',
      column,
      ...counted,
      scope,
      noun: 'label',
    }),
  )
}

function addTextTests(
  reference: DriftSample,
  batch: DriftSample,
  scope: TestScope,
  context: Context,
  rows: RowSubsets,
) {
  if (!reference.corpus || !batch.corpus) return
  const { options, pending } = context
  const column = batch.textColumn ?? reference.textColumn ?? 'text'
  const referenceCorpus = rows.reference
    ? selectDocuments(reference.corpus, rows.reference)
    : reference.corpus
  const batchCorpus = rows.batch ? selectDocuments(batch.corpus, rows.batch) : batch.corpus
  const frequencies = documentFrequencies(referenceCorpus)
  const referenceSide = { frequencies, documents: referenceCorpus.documentCount }
  pending.push(tokenBurstPending(column, referenceSide, batchCorpus, scope))
  if (options.tokenDistribution === false) return
  pending.push(
    tokenDistributionPending(column, referenceCorpus, batchCorpus, scope, {
      rng: context.rng,
      permutations: options.permutations ?? 200,
      topTokens: options.topTokens ?? 100,
    }),
  )
}

/** The tests of one comparison: every shared feature, the labels and the text; `rows` restrict either side. */
function addComparison(
  reference: DriftSample,
  batch: DriftSample,
  scope: TestScope,
  context: Context,
  rows: RowSubsets = {},
): void {
  addFeatureTests(reference, batch, scope, context, rows)
  addLabelTest(reference, batch, scope, context, rows)
  addTextTests(reference, batch, scope, context, rows)
}

/** Rows of each source, in input order; sources in order of first appearance. */
function rowsBySource(sources: readonly string[]): Map<string, Int32Array> {
  // Counted first, then filled: growing a list per source costs more than the lookups.
  const indexOf = new Map<string, number>()
  const codes = new Int32Array(sources.length)
  const counts: number[] = []
  for (let row = 0; row < sources.length; row++) {
    let code = indexOf.get(sources[row])
    if (code === undefined) {
      code = counts.length
      indexOf.set(sources[row], code)
      counts.push(0)
    }
    codes[row] = code
    counts[code]++
  }
  const lists = counts.map((count) => new Int32Array(count))
  const filled = new Int32Array(counts.length)
  for (let row = 0; row < codes.length; row++) lists[codes[row]][filled[codes[row]]++] = row
  return new Map([...indexOf].map(([source, code]) => [source, lists[code]]))
}

/** Each batch source with enough rows against the same source of the reference, or the whole reference if new. */
function addPerSource(reference: DriftSample, batch: DriftSample, context: Context): void {
  const minRows = context.options.minSourceRows ?? 30
  const batchSources = batch.sourceSummaries?.rows ?? rowsBySource(batch.sources!)
  if (batchSources.size < 2) return
  const referenceSources =
    reference.sourceSummaries?.rows ??
    (reference.sources ? rowsBySource(reference.sources) : new Map<string, Int32Array>())
  const tested = [...batchSources].filter(([, batchRows]) => batchRows.length >= minRows)
  const sameSource = (source: string) => {
    const rows = referenceSources.get(source)
    return rows !== undefined && rows.length >= minRows ? rows : undefined
  }
  summarizeSubsets(
    batch,
    context,
    tested.map(([, batchRows]) => batchRows),
  )
  summarizeSubsets(
    reference,
    context,
    tested.flatMap(([source]) => sameSource(source) ?? []),
  )
  for (const [source, batchRows] of tested) {
    const referenceRows = sameSource(source)
    const useSame = referenceRows !== undefined
    const scope: TestScope = {
      suffix: `@${source}`,
      source,
      comparedWith: useSame ? 'same-source' : 'reference',
    }
    addComparison(reference, batch, scope, context, { reference: referenceRows, batch: batchRows })
  }
}

/**
 * Starts the MMD test of a check on `options.mmdRunner` so that it runs while the per-column tests do. Only when
 * nothing else draws random numbers (no text tests on both sides): the MMD then starts from a fresh generator at
 * the seed, as it would here, and its result is the same. Undefined when there is no runner or no MMD to run.
 */
export function startMmd(
  reference: Pick<DriftSample, 'features' | 'featureNames' | 'corpus'>,
  batch: Pick<DriftSample, 'features' | 'featureNames' | 'corpus'>,
  options: DriftTestOptions,
): (() => MmdResult) | undefined {
  if (!options.mmdRunner) return undefined
  const inputs = mmdInputs(reference, batch, options, Boolean(reference.corpus && batch.corpus))
  return inputs && options.mmdRunner.start(inputs.reference, inputs.batch, inputs.job)
}

/** Source mix and MMD: tests of the whole batch that have no per-source counterpart. */
function addWholeBatchTests(reference: DriftSample, batch: DriftSample, context: Context): void {
  const { options, common, pending } = context
  if (reference.sources && batch.sources) {
    const counted = countNames(reference.sources, batch.sources)
    const scope: TestScope = { suffix: '', comparedWith: 'reference' }
    pending.push(
      categoryTest({
        id: 'source-mix',
        test: 'source-mix',
        target: 'source',
        ...counted,
        scope,
        noun: 'source',
      }),
    )
  }
  if (options.mmd === false || common.length < 2) return
  if (context.mmd) {
    const wait = context.mmd
    // Waited for last, once the other tests are done; the test keeps its place in the list.
    pending.push(() => mmdPending(wait(), common.length))
    return
  }
  const [referenceMatrix, batchMatrix] = mmdMatrices(reference, batch, common)
  const result = mmdTest(referenceMatrix, batchMatrix, { rng: context.rng, ...mmdJob(options) })
  pending.push(mmdPending(result, common.length))
}

/**
 * Runs every drift test of a batch against a reference — per feature, labels, text, source mix, MMD, and the
 * same per source — then corrects all p-values together with Benjamini–Hochberg at `alpha`. `startedMmd` is an MMD
 * test `startMmd` started earlier, so that it ran beside work done before this call.
 */
export function runDriftTests(
  reference: DriftSample,
  batch: DriftSample,
  options: DriftTestOptions = {},
  startedMmd: (() => MmdResult) | undefined = startMmd(reference, batch, options),
): DriftTestResult[] {
  const seed = options.seed ?? 0
  const onProgress = progressReporter(options, fractionDetail)
  const context: Context = {
    options,
    rng: createRng(seed),
    summary: { sketchAboveRows: options.sketchAboveRows, seed },
    common: commonFeatures(reference, batch),
    pending: [],
    summaries: new Map(),
    subsetSummaries: new Map(),
    mmd: startedMmd,
  }
  addComparison(reference, batch, { suffix: '', comparedWith: 'reference' }, context)
  onProgress?.(0.4)
  addWholeBatchTests(reference, batch, context)
  onProgress?.(0.7)
  if (options.perSource !== false && batch.sources) addPerSource(reference, batch, context)
  const pending = context.pending.map((test) => (typeof test === 'function' ? test() : test))
  onProgress?.(1)
  return correct(pending, options.alpha ?? DEFAULT_ALPHA)
}

function correct(pending: PendingTest[], alpha: number): DriftTestResult[] {
  const qValues = benjaminiHochberg(pending.map((test) => test.result.pValue))
  return pending.map((test, index) => {
    const qValue = qValues[index]
    const significant = qValue <= alpha
    return { ...test.result, qValue, significant, severity: significant ? test.grade() : null }
  })
}
