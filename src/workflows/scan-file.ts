import { availableParallelism, totalmem } from 'node:os'
import type { AggregationModel } from '../crowd/index.js'
import type { Dataset } from '../data/dataset.js'
import { subsetDataset } from '../data/dataset.js'
import { shareLoadedArraysPastBudget } from '../data/shared-memory.js'
import type { DatasetProvenance, ScanReport } from '../domain/index.js'
import { PoisonguardError } from '../errors.js'
import { type LoadOptions, loadDataset } from '../io/index.js'
import { readNpyFile } from '../io/npy.js'
import { createWorkerDetectorExecutor } from '../parallel/detector-executor.js'
import { looksLikeLargeNumericFile } from '../parallel/warm-hint.js'
import { createWorkerFoldExecutor } from '../parallel/worker-pool.js'
import type { DatasetVerification } from '../provenance/verify.js'
import { scan } from '../scan/index.js'
import type { ScanOptions } from '../scan/scan.js'
import { createSpillFile } from '../store/spill-file.js'
import { createRng, shuffledIndices } from '../util/rng.js'
import type { AnnotationColumns } from './crowd-input.js'

/** A signed manifest to check a dataset file against before it is scanned. */
export interface ManifestCheck {
  /** The manifest file. */
  path: string
  /** Public key PEM that must have signed the manifest. */
  publicKeyPath?: string
  /** Refuse a manifest whose signature was not checked (unsigned, or no key given). */
  requireSigned?: boolean
}

export interface ScanFileOptions extends Partial<ScanOptions> {
  /** How to read the file: format and column roles, as for `loadDataset`. */
  load?: LoadOptions
  /** Verify the file against this manifest first, then give each record the source the manifest attests. */
  manifest?: ManifestCheck
  /**
   * A `.npy` file of out-of-fold class probabilities from your own model (rows × classes, float32, as cleanlab
   * takes them): the label detectors use them instead of training the built-in model.
   */
  predProbs?: string
  /**
   * Crowd answers about the records (CSV, JSON Lines or Parquet: item = the dataset's id, annotator, label), as
   * `poisonguard crowd` reads them: they are aggregated with the crowd's adversaries set aside, and the
   * `crowd-consensus` detector flags the records whose label the crowd disputes. Model default: `glad`.
   */
  annotations?: { path: string; columns?: AnnotationColumns; model?: AggregationModel }
  /**
   * Scan a seeded random sample of at most this many records (in input order) for a quick first look; the report
   * says so in `dataset.sample`.
   */
  maxRows?: number
  /**
   * Memory budget for the scan's large arrays, in bytes; past it the neighbour graph is spilled to a temporary
   * file and read back when a detector asks, and the model's input once the model has trained (same report).
   * Default: half of the machine's memory (`os.totalmem()`).
   */
  maxMemoryBytes?: number
  /** Folder for the temporary file of `maxMemoryBytes`; default `os.tmpdir()`. Removed when the scan ends. */
  tempDir?: string
}

/** The share of the machine's memory a scan's large arrays may take before it spills: half, for the rest of the system. */
export const defaultMemoryShare = 0.5

/** A seeded random sample of `maxRows` records in input order, or the dataset itself when it is no larger. */
function sampleDataset(dataset: Dataset, maxRows: number, seed: number): Dataset {
  if (!Number.isInteger(maxRows) || maxRows < 1)
    throw new PoisonguardError('INVALID_ARGUMENT', `maxRows must be a positive integer, got ${maxRows}`)
  if (dataset.rowCount <= maxRows) return dataset
  const rows = shuffledIndices(dataset.rowCount, createRng(seed)).subarray(0, maxRows).sort()
  return subsetDataset(dataset, rows)
}

/** The dataset with what its crowd of annotators says about each record's label. */
async function withCrowdEvidence(
  dataset: Dataset,
  annotations: NonNullable<ScanFileOptions['annotations']>,
): Promise<Dataset> {
  if (!dataset.labels)
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `--annotations ${annotations.path} needs a label column in the dataset to compare with (name it with --label)`,
    )
  // The crowd's code loads only for a scan given annotations, as the manifest's for one given a manifest.
  const { loadAnnotations } = await import('./crowd-input.js')
  const { aggregateForScan } = await import('./crowd-scan.js')
  const { table } = await loadAnnotations(annotations.path, { columns: annotations.columns })
  const { crowd } = aggregateForScan(
    { ids: dataset.ids, labels: dataset.labels },
    table,
    annotations.path,
    annotations.model,
  )
  if (!crowd.answers.some((count) => count > 0))
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `no item of ${annotations.path} matches an id of the dataset (for example "${table.itemIds[0]}" against ` +
        `"${dataset.ids[0]}"); the item column must hold the dataset's ids (name the id column with --id)`,
    )
  return { ...dataset, crowd }
}

/** A scanned dataset, or the verification that stopped the scan before it began. */
export type ScanFileResult =
  | {
      readonly status: 'scanned'
      /** The dataset as scanned: with attested sources when a manifest was checked. */
      readonly dataset: Dataset
      readonly report: ScanReport
      readonly verification?: DatasetVerification
      /** How far the manifest was trusted; also in `report.dataset.provenance`. */
      readonly provenance?: DatasetProvenance
    }
  | { readonly status: 'verification-failed'; readonly verification: DatasetVerification }

/**
 * Loads a dataset file, checks it against its signed manifest when one is given (a mismatch, including a signed
 * count that the loaded data does not bear out, stops here with what failed), attaches the sources the manifest
 * attests, scans it, and records in the report how far the manifest's signature was trusted. Unless the caller
 * brings an `executor`, the built-in model's cross-validation runs on worker threads, the same ones as the
 * detectors and the counting of the texts' terms.
 */
export async function scanFile(path: string, options: ScanFileOptions = {}): Promise<ScanFileResult> {
  if (options.executor) return scanFileWith(path, options)
  // One set of workers trains the folds and runs the detectors, so their code and the data are loaded once.
  const detectorExecutor = options.detectorExecutor
    ? undefined
    : createWorkerDetectorExecutor({
        eagerWorkers: availableParallelism(),
        warmEagerly: await looksLikeLargeNumericFile(path),
        // With the texts, the detectors that read them run beside the folds rather than after them on this thread:
        // 6,046 mails scanned in 3.90 s instead of 4.36 (medians of 6 interleaved pairs; the same report and about the
        // same CPU), for 150 MiB more.
        texts: true,
      })
  const executor = detectorExecutor ?? createWorkerFoldExecutor()
  // The texts' terms are counted on those workers too, which idle until the model's input exists to train on.
  const countTexts = detectorExecutor?.countTexts
  try {
    return await scanFileWith(path, { detectorExecutor, countTexts, ...options, executor })
  } finally {
    await executor.close()
  }
}

async function scanFileWith(path: string, options: ScanFileOptions): Promise<ScanFileResult> {
  const { maxMemoryBytes, tempDir, ...rest } = options
  const maxBytes = maxMemoryBytes ?? Math.floor(totalmem() * defaultMemoryShare)
  if (!Number.isFinite(maxBytes) || maxBytes <= 0)
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `maxMemoryBytes must be a positive number, got ${maxBytes}`,
    )
  const spill = createSpillFile({ directory: tempDir })
  try {
    return await scanFileWithin(path, { ...rest, memory: { maxBytes, spill } })
  } finally {
    spill.close()
  }
}

async function scanFileWithin(path: string, options: ScanFileOptions): Promise<ScanFileResult> {
  const { load, manifest, predProbs, annotations, maxRows, ...rest } = options
  const scanOptions = predProbs
    ? {
        ...rest,
        outOfFoldProbabilities: await readNpyFile(predProbs),
        outOfFoldProbabilitiesSource: predProbs,
      }
    : rest
  if (maxRows !== undefined && manifest)
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      '--max-rows cannot be combined with --manifest: a sample cannot be verified record by record against it',
      { hint: 'verify the whole file without --max-rows' },
    )
  const seed = rest.seed ?? 0
  const whole = shareLoadedArraysPastBudget(
    await loadDataset(path, { ...load, signal: rest.signal }),
    rest.memory?.maxBytes,
  )
  // Sampled before the crowd's answers are aligned, so they are matched to the records that stay.
  const read = maxRows === undefined ? whole : sampleDataset(whole, maxRows, seed)
  const loaded = annotations ? await withCrowdEvidence(read, annotations) : read
  if (!manifest) {
    const report = await scan(loaded, scanOptions)
    if (read !== whole) report.dataset.sample = { rows: read.rowCount, totalRows: whole.rowCount, seed }
    return { status: 'scanned', dataset: loaded, report }
  }
  const { verifyDatasetAgainstManifest } = await import('../provenance/verify.js')
  const { attestDataset } = await import('../provenance/attach.js')
  const verification = await verifyDatasetAgainstManifest(path, manifest.path, {
    publicKeyPath: manifest.publicKeyPath,
    requireSigned: manifest.requireSigned,
    signal: rest.signal,
  })
  const { dataset, provenance } = attestDataset(loaded, verification)
  if (!verification.ok) return { status: 'verification-failed', verification }
  const report = await scan(dataset, scanOptions)
  if (provenance) report.dataset.provenance = provenance
  return { status: 'scanned', dataset, report, verification, provenance }
}
