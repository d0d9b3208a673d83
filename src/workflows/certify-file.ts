import type { Dataset } from '../data/dataset.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { type LoadOptions, loadDataset } from '../io/index.js'
import { type OutputFile, writeOutputsAtomically } from '../io/transaction.js'
import { createWorkerMemberExecutor } from '../parallel/member-executor.js'
import {
  type CertificationSummary,
  type CertifiedPrediction,
  summarizeCertificates,
} from '../robust/certificate.js'
import {
  type AggregationScheme,
  certifyEnsemble,
  type MemberExecutor,
  type PartitionEnsemble,
  trainPartitionEnsemble,
} from '../robust/ensemble.js'
import type { LearnerId, LearnerOptions } from '../robust/learners.js'
import { type ProgressOptions, progressReporter, stepDetail } from '../util/progress.js'
import { version } from '../version.js'
import { renderCertifyHtml } from './certify-html.js'
import { ensembleFolderOutput, type LoadedEnsemble, loadEnsembleFolder } from './ensemble-folder.js'

/** How to get the ensemble: a saved folder, or a training set to build one from. */
export type EnsembleSource =
  | { readonly model: string; readonly train?: undefined }
  | {
      readonly train: string
      readonly model?: undefined
      readonly partitions: number
      readonly scheme?: AggregationScheme
      readonly spread?: number
      readonly learner?: LearnerId
      readonly learnerOptions?: LearnerOptions
      readonly seed?: number
    }

export interface CertifyFileOptions extends ProgressOptions<[stage: string, fractionDone: number]> {
  readonly ensemble: EnsembleSource
  /** The records to certify; their labels give the clean and certified accuracy. */
  readonly data: string
  readonly load?: LoadOptions
  readonly onProgress?: (stage: string, fractionDone: number) => void
  readonly signal?: AbortSignal
  /** Runs the members; default worker threads on every core. */
  readonly executor?: MemberExecutor
}

/** One certified record of the report. */
export interface CertifiedRecord {
  readonly id: string
  readonly label: string | null
  readonly predicted: string
  readonly votes: number
  readonly runnerUp: string
  readonly runnerUpVotes: number
  /** Training records that may be inserted, deleted or relabelled without changing `predicted`. */
  readonly certificate: number
  readonly correct: boolean | null
}

/** What `poisonguard certify` writes: the summary, the certified-accuracy curve and every record. */
export interface CertifyReport extends CertificationSummary {
  readonly tool: { readonly name: 'poisonguard'; readonly version: string }
  readonly model: {
    readonly path: string | null
    readonly scheme: AggregationScheme
    readonly partitions: number
    readonly spread: number
    readonly learner: LearnerId
    readonly members: number
  }
  readonly data: { readonly path: string; readonly rows: number; readonly labelled: number }
  readonly records: CertifiedRecord[]
  readonly warnings: string[]
}

function featuresOf(dataset: Dataset, role: string): FeatureMatrix {
  if (dataset.features && dataset.features.cols > 0) return dataset.features
  throw PoisonguardError.at(
    'MISSING_INPUT',
    { file: dataset.origin.path },
    `the ${role} has no numeric feature columns or pixels`,
    'certify tabular data with numeric columns or an image folder',
  )
}

async function obtainEnsemble(
  options: CertifyFileOptions,
  executor: MemberExecutor,
): Promise<LoadedEnsemble & { path: string | null }> {
  const source = options.ensemble
  if (source.model !== undefined) return { ...(await loadEnsembleFolder(source.model)), path: source.model }
  const training = await loadDataset(source.train, options.load)
  const labels = training.labels
  if (!labels || labels.codes.some((code) => code < 0)) {
    throw PoisonguardError.at(
      'MISSING_INPUT',
      { file: source.train },
      'every training record needs a label',
      'pass the label column with --label, and drop unlabelled records',
    )
  }
  const ensemble = await trainPartitionEnsemble(
    featuresOf(training, 'training set'),
    labels.codes,
    {
      partitions: source.partitions,
      scheme: source.scheme,
      spread: source.spread,
      learner: source.learner,
      learnerOptions: source.learnerOptions,
      classCount: labels.classes.length,
      seed: source.seed,
      texts: training.texts,
      signal: options.signal,
      onProgress: (fraction) => options.onProgress?.('train', fraction),
    },
    executor,
  )
  return { ensemble, classNames: labels.classes, path: null }
}

function buildRecords(dataset: Dataset, classNames: readonly string[], predictions: CertifiedPrediction[]) {
  const known = new Map(classNames.map((name, index) => [name, index]))
  const labels = dataset.labels
  const codes = new Int32Array(dataset.rowCount).fill(-1)
  const unknown = new Set<string>()
  let labelled = 0
  const records = predictions.map((prediction, row): CertifiedRecord => {
    const code = labels?.codes[row] ?? -1
    const label = code >= 0 ? labels!.classes[code] : null
    if (label !== null) {
      labelled++
      codes[row] = known.get(label) ?? -2
      if (!known.has(label)) unknown.add(label)
    }
    return {
      id: dataset.ids[row],
      label,
      predicted: classNames[prediction.predicted],
      votes: prediction.topVotes,
      runnerUp: classNames[prediction.runnerUp],
      runnerUpVotes: prediction.runnerUpVotes,
      certificate: prediction.certificate,
      correct: label === null ? null : prediction.predicted === codes[row],
    }
  })
  return { records, codes, labelled, unknown }
}

/**
 * Certifies every record of a dataset with a partition ensemble (loaded, or trained on the spot): its prediction,
 * how many poisoned training records it withstands, and over the labelled records the clean accuracy, the median
 * certified radius and the certified accuracy at every radius.
 */
export async function certifyFile(options: CertifyFileOptions): Promise<CertifyResult> {
  const ownExecutor = options.executor ? undefined : createWorkerMemberExecutor()
  const executor = options.executor ?? ownExecutor!
  const onProgress = progressReporter(options, stepDetail)
  try {
    const { ensemble, classNames, path } = await obtainEnsemble({ ...options, onProgress }, executor)
    const dataset = await loadDataset(options.data, options.load)
    const predictions = await certifyEnsemble(ensemble, featuresOf(dataset, 'data'), executor, {
      signal: options.signal,
      onProgress: (fraction) => onProgress?.('certify', fraction),
    })
    const { records, codes, labelled, unknown } = buildRecords(dataset, classNames, predictions)
    const labelledRows = Int32Array.from(codes.keys()).filter((row) => codes[row] !== -1)
    const summary = summarizeCertificates(
      Array.from(labelledRows, (row) => predictions[row]),
      Int32Array.from(labelledRows, (row) => codes[row]),
    )
    const warnings: string[] = []
    if (labelled < dataset.rowCount)
      warnings.push(`${dataset.rowCount - labelled} records have no label and are left out of the accuracies`)
    if (unknown.size > 0)
      warnings.push(`labels the model never saw count as wrong: ${[...unknown].slice(0, 10).join(', ')}`)
    const report: CertifyReport = {
      tool: { name: 'poisonguard', version },
      model: describeModel(ensemble, path),
      data: { path: options.data, rows: dataset.rowCount, labelled },
      ...summary,
      records,
      warnings,
    }
    return { report, ensemble, classNames }
  } finally {
    await ownExecutor?.close()
  }
}

function describeModel(ensemble: PartitionEnsemble, path: string | null): CertifyReport['model'] {
  return {
    path,
    scheme: ensemble.scheme,
    partitions: ensemble.partitionCount,
    spread: ensemble.spread,
    learner: ensemble.learner,
    members: ensemble.members.length,
  }
}

/** A certification and the ensemble behind it (to save when it was trained on the spot). */
export interface CertifyResult extends LoadedEnsemble {
  readonly report: CertifyReport
}

/** Writes the JSON report and, when asked, the HTML page and the trained ensemble's folder: all or none. */
export async function writeCertifyOutputs(
  result: CertifyResult,
  outputs: { out: string; html?: string; saveModel?: string },
  inputs: readonly (string | undefined)[],
): Promise<void> {
  const { report } = result
  const files: OutputFile[] = [
    { path: outputs.out, flag: '--out', contents: `${JSON.stringify(report, null, 2)}\n` },
  ]
  if (outputs.html)
    files.push({
      path: outputs.html,
      flag: '--html',
      contents: renderCertifyHtml(report, new Date().toISOString()),
    })
  if (outputs.saveModel)
    files.push(ensembleFolderOutput(result.ensemble, result.classNames, outputs.saveModel, '--save-model'))
  await writeOutputsAtomically(files, { inputs })
}
