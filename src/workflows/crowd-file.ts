import { extname } from 'node:path'
import { classPrior } from '../crowd/em.js'
import {
  type AdversaryOptions,
  type AdversaryPolicy,
  type AggregationModel,
  type AnnotationTable,
  aggregateCrowd,
  buildCrowdReport,
  type CollusionOptions,
  type CombinedView,
  type CrowdInputWarning,
  type CrowdReport,
  type CrowdResult,
} from '../crowd/index.js'
import { combineWithModelView } from '../crowd/model-view.js'
import { PoisonguardError } from '../errors.js'
import { encodeCsvField } from '../io/csv-field.js'
import { type LoadOptions, loadDataset } from '../io/index.js'
import { writeLines } from '../io/lines-writer.js'
import { checkOutputs } from '../io/output-safety.js'
import { type OutputFile, writeOutputsAtomically } from '../io/transaction.js'
import { jsonWriter } from '../report/writers/json.js'
import { throwIfAborted } from '../util/abort.js'
import { type ProgressOptions, progressReporter, stepDetail } from '../util/progress.js'
import { version } from '../version.js'
import { renderCrowdHtml } from './crowd-html.js'
import {
  type AnnotationColumns,
  type LoadAnnotationsOptions,
  loadAnnotations,
  loadGoldLabels,
} from './crowd-input.js'
import { computeModelView } from './crowd-model.js'

export interface CrowdFileOptions extends ProgressOptions<[step: string, fractionDone: number]> {
  /** Answers: CSV, JSON Lines or Parquet, one record per (item, annotator, label[, time]). */
  input: string
  columns?: AnnotationColumns
  format?: LoadAnnotationsOptions['format']
  /** Known labels for some items (item and label columns, same names as the answers). */
  gold?: string
  /**
   * The items' own data (ids = item ids): the built-in model learns the consensus from its features out of fold
   * and its view is combined with the crowd's.
   */
  dataset?: { path: string; load?: LoadOptions }
  /** Seed of the model's folds and solver. Default 0. */
  seed?: number
  /** Default `dawid-skene`. */
  model?: AggregationModel
  /** Default `exclude`. */
  adversaries?: AdversaryPolicy
  downWeight?: number
  detection?: AdversaryOptions & CollusionOptions
  /** Consensus per item: `.csv` (default) or `.jsonl` with item, label, confidence. */
  out?: string
  /** The JSON report. */
  report?: string
  /** A self-contained HTML report. */
  html?: string
  signal?: AbortSignal
  onProgress?: (step: string, fractionDone: number) => void
}

export interface CrowdFileResult {
  readonly table: AnnotationTable
  readonly result: CrowdResult
  readonly report: CrowdReport
}

/** Consensus rows as CSV (`item,label,confidence`) or JSON Lines, by the path's extension. */
function* consensusLines(table: AnnotationTable, result: CrowdResult, path: string): Generator<string> {
  const { label, confidence } = result.fit
  const jsonl = ['.jsonl', '.ndjson'].includes(extname(path).toLowerCase())
  if (!jsonl) yield 'item,label,confidence'
  for (let i = 0; i < table.itemIds.length; i++) {
    const item = table.itemIds[i]
    const name = table.classes[label[i]]
    const value = Number(confidence[i].toFixed(6))
    yield jsonl
      ? JSON.stringify({ item, label: name, confidence: value })
      : `${encodeCsvField(item)},${encodeCsvField(name)},${value}`
  }
}

function outputsOf(
  options: CrowdFileOptions,
  table: AnnotationTable,
  result: CrowdResult,
  report: CrowdReport,
) {
  const outputs: OutputFile[] = []
  const out = options.out
  if (out)
    outputs.push({
      path: out,
      flag: '--out',
      write: (temporary) => writeLines(temporary, consensusLines(table, result, out)),
    })
  if (options.report)
    outputs.push({ path: options.report, flag: '--report', contents: jsonWriter.render(report, {}) })
  if (options.html) outputs.push({ path: options.html, flag: '--html', contents: renderCrowdHtml(report) })
  return outputs
}

/**
 * Aggregates crowd answers from a file: loads them (and gold labels), fits the model, finds spammers, targeted
 * annotators and colluding groups, sets them aside as asked, and writes the consensus, the JSON report and the
 * HTML report, all or none.
 */
export async function crowdFile(options: CrowdFileOptions): Promise<CrowdFileResult> {
  const checkAborted = () => throwIfAborted(options.signal, 'crowd')
  const onProgress = progressReporter(options, stepDetail)
  const inputs = [options.input, options.gold, options.dataset?.path]
  const targets = [
    { path: options.out, flag: '--out' },
    { path: options.report, flag: '--report' },
    { path: options.html, flag: '--html' },
  ].filter((target): target is { path: string; flag: string } => target.path !== undefined)
  await checkOutputs(targets, inputs)
  const loadOptions = { columns: options.columns, format: options.format }
  const loaded = await loadAnnotations(options.input, {
    ...loadOptions,
    onProgress: (fraction) => onProgress?.('reading answers', fraction),
  })
  let table = loaded.table
  const warnings: CrowdInputWarning[] = [...loaded.warnings]
  let gold: Int32Array | undefined
  if (options.gold) {
    const aligned = await loadGoldLabels(options.gold, table, loadOptions)
    table = aligned.table
    gold = aligned.gold
    warnings.push(...aligned.warnings)
  }
  checkAborted()
  if (options.downWeight !== undefined && !(options.downWeight > 0 && options.downWeight < 1)) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `the down-weight must lie strictly between 0 and 1, received ${options.downWeight}`,
    )
  }
  const crowd = aggregateCrowd(table, {
    model: options.model,
    adversaries: options.adversaries,
    downWeight: options.downWeight,
    detection: options.detection,
    gold,
    onProgress: (fraction) => onProgress?.('aggregating', fraction),
  })
  checkAborted()
  let result = crowd
  let modelView: { path: string; combined: CombinedView } | undefined
  if (options.dataset) {
    onProgress?.('learning the items', 0)
    const dataset = await loadDataset(options.dataset.path, options.dataset.load)
    const view = await computeModelView(dataset, table, crowd.fit, options.seed ?? 0)
    if (view.unanswered.length > 0) {
      const examples = view.unanswered.slice(0, 5)
      const source = `dataset ${options.dataset.path}`
      warnings.push({ kind: 'unanswered-items', source, count: view.unanswered.length, examples })
    }
    const combined = combineWithModelView(
      crowd.fit,
      classPrior(crowd.fit.posterior, table.classes.length),
      view,
    )
    const { posterior, label, confidence } = combined
    result = { ...crowd, fit: { ...crowd.fit, posterior, label, confidence } }
    modelView = { path: options.dataset.path, combined }
    checkAborted()
  }
  const report = buildCrowdReport(table, result, {
    version,
    input: loaded.file,
    gold: options.gold && gold ? { path: options.gold, codes: gold } : undefined,
    modelView,
    model: result.fit.model,
    adversaries: options.adversaries ?? 'exclude',
    warnings,
  })
  await writeOutputsAtomically(outputsOf(options, table, result, report), { inputs })
  return { table, result, report }
}
