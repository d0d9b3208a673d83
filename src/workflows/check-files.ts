import type { Dataset } from '../data/dataset.js'
import {
  type CheckOptions,
  checkBatch,
  checkMmdInputs,
  type SideSummaries,
  summarizeSide,
} from '../drift/check.js'
import { sharedColumnSummaries } from '../drift/columns.js'
import type { CheckReport } from '../drift/types.js'
import { loadDataset } from '../io/load.js'
import {
  createWorkerMmdRunner,
  type PlainLoadOptions,
  type ReferenceWorker,
  startReferenceWorker,
} from '../parallel/mmd-runner.js'

export interface CheckFilesOptions
  extends Omit<CheckOptions, 'mmdRunner' | 'startedMmd' | 'batchSummaries' | 'referenceSummaries'> {
  /** How both files are read (the same column flags for each). */
  load?: PlainLoadOptions
  /** Worker threads at most; 1 reads and tests everything on the calling thread. Default: the cores there are. */
  threads?: number
  /** The compiled `mmd-worker` module to start; default the one next to `mmd-runner`. */
  workerUrl?: URL
}

interface LoadedBoth {
  reference: Dataset
  batch: Dataset
  /** The batch's column summaries, whole and per source, computed while the reference was still being read. */
  batchSummaries?: SideSummaries
  /** The reference's whole columns, sorted by the worker that read it and this thread together. */
  referenceSummaries?: SideSummaries
}

/**
 * Reads both datasets, the reference on `worker` (or here when it could not) and the batch here meanwhile; the
 * batch goes to the worker for the MMD test as soon as it is read, and each side's columns are summarised on the
 * thread that read it.
 */
async function loadBoth(
  referencePath: string,
  batchPath: string,
  options: CheckFilesOptions,
  worker: ReferenceWorker | undefined,
): Promise<LoadedBoth> {
  const { load = {} } = options
  if (!worker) {
    const reference = await loadDataset(referencePath, load)
    return { reference, batch: await loadDataset(batchPath, load) }
  }
  const batchRead = loadDataset(batchPath, load).then(
    (batch) => {
      const { mmd, seed, permutations, mmdMaxRowsPerSide, mmdMaxDimensions, alpha, text } = options
      worker.sendBatch(batch, { mmd, seed, permutations, mmdMaxRowsPerSide, mmdMaxDimensions, alpha, text })
      return { batch, batchSummaries: summarizeSide(batch, options) }
    },
    (error: unknown) => ({ error }),
  )
  // The reference's error comes first, as when the files are read one after the other: a reference the worker
  // could not read is read again here, which raises the loader's own error.
  const read = (await worker.reference) ?? { dataset: await loadDataset(referencePath, load) }
  const batch = await batchRead
  if ('error' in batch) throw batch.error
  const { dataset, sort } = read
  const referenceSummaries = sort && { columns: sharedColumnSummaries(dataset.features!, sort) }
  return { reference: dataset, ...(referenceSummaries ? { referenceSummaries } : {}), ...batch }
}

/**
 * `checkBatch` of two files, as `poisonguard check` runs it: the reference is read on a worker thread while this
 * thread reads the batch, and that worker then runs the MMD test beside the per-column tests. The report equals
 * `checkBatch` of the two loaded datasets; errors are the loader's, the reference's first.
 */
export async function checkFiles(
  batchPath: string,
  referencePath: string,
  options: CheckFilesOptions = {},
): Promise<CheckReport> {
  const { load, threads, workerUrl, ...checkOptions } = options
  const sortColumns = { sketchAboveRows: checkOptions.sketchAboveRows }
  const worker =
    threads === 1
      ? undefined
      : startReferenceWorker(referencePath, load ?? {}, { threads, workerUrl, sortColumns })
  try {
    const { reference, batch, batchSummaries, referenceSummaries } = await loadBoth(
      referencePath,
      batchPath,
      options,
      worker,
    )
    const mmd = worker && checkMmdInputs(reference, batch, checkOptions)
    return checkBatch(reference, batch, {
      ...checkOptions,
      batchSummaries,
      referenceSummaries,
      ...(worker
        ? { startedMmd: mmd && worker.awaitMmd(mmd) }
        : { mmdRunner: createWorkerMmdRunner({ threads, workerUrl }) }),
    })
  } finally {
    worker?.close()
  }
}
