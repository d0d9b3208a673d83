import type { Dataset } from '../data/dataset.js'
import { type CheckOptions, checkBatch } from '../drift/check.js'
import type { CheckReport } from '../drift/types.js'
import { loadDataset } from '../io/load.js'
import {
  createWorkerMmdRunner,
  type PlainLoadOptions,
  type ReferenceWorker,
  startReferenceWorker,
} from '../parallel/mmd-runner.js'

export interface CheckFilesOptions extends Omit<CheckOptions, 'mmdRunner'> {
  /** How both files are read (the same column flags for each). */
  load?: PlainLoadOptions
  /** Worker threads at most; 1 reads and tests everything on the calling thread. Default: the cores there are. */
  threads?: number
  /** The compiled `mmd-worker` module to start; default the one next to `mmd-runner`. */
  workerUrl?: URL
}

/** Reads both datasets, the reference on `worker` (or here when it could not), and the batch here meanwhile. */
async function loadBoth(
  referencePath: string,
  batchPath: string,
  load: PlainLoadOptions,
  worker: ReferenceWorker | undefined,
): Promise<{ reference: Dataset; batch: Dataset }> {
  if (!worker) {
    const reference = await loadDataset(referencePath, load)
    return { reference, batch: await loadDataset(batchPath, load) }
  }
  const batchRead = loadDataset(batchPath, load).then(
    (dataset) => ({ dataset }),
    (error: unknown) => ({ error }),
  )
  // The reference's error comes first, as when the files are read one after the other: a reference the worker
  // could not read is read again here, which raises the loader's own error.
  const reference = (await worker.reference) ?? (await loadDataset(referencePath, load))
  const batch = await batchRead
  if ('error' in batch) throw batch.error
  return { reference, batch: batch.dataset }
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
  const { load = {}, threads, workerUrl, ...checkOptions } = options
  const worker = threads === 1 ? undefined : startReferenceWorker(referencePath, load, { threads, workerUrl })
  try {
    const { reference, batch } = await loadBoth(referencePath, batchPath, load, worker)
    const mmdRunner = worker?.runner ?? createWorkerMmdRunner({ threads, workerUrl })
    return checkBatch(reference, batch, { ...checkOptions, mmdRunner })
  } finally {
    worker?.close()
  }
}
