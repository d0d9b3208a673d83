import { hostname } from 'node:os'
import type { Job, Worker } from 'bullmq'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { classSpectrumValues, meanAndScatter } from '../detectors/class-spectra.js'
import { countTexts } from '../features/text.js'
import { searchListRange } from '../linalg/ann/ivf.js'
import type { IvfSearchPlan } from '../linalg/ann/lists.js'
import type { LinalgBackend } from '../linalg/backend.js'
import { createDefaultBackend } from '../linalg/default-backend.js'
import { createWorkerDetectorExecutor } from '../parallel/detector-executor.js'
import { createWorkerFoldExecutor, type WorkerFoldExecutor } from '../parallel/worker-pool.js'
import { pack, type UnpackMemory, unpack, unpackMatrix } from './codec.js'
import { decodeValue } from './detector-input.js'
import {
  type ClassJob,
  detectorQueueName,
  type FeaturesJob,
  type FoldJob,
  type IvfJob,
  type KnnJob,
  parseScanJob,
  type ScanJob,
  scanQueueName,
} from './jobs.js'
import { connectRedis, loadBullmq } from './queue.js'
import { reapAbandonedRuns } from './reap.js'
import { createDetectorJobRunner } from './run-detector-job.js'
import { openScanStore, type ReapedRun, type ScanStore } from './scan-store.js'
import { packTermFrequencies } from './text-counts.js'

/** How a scan worker connects and how soon a lost worker's job goes to another. */
export interface ScanWorkerOptions {
  /** `redis://…` of the queue the coordinator sends jobs to. */
  queue: string
  /** `postgres://…` of the scan store the coordinator uses. */
  store: string
  schema?: string
  /** BullMQ key prefix; default `poisonguard`. */
  prefix?: string
  /**
   * Milliseconds a job stays with a worker that stopped answering (killed, cut off) before another worker takes it;
   * default 15,000. The worker renews its hold every half of this while it works.
   */
  lockMs?: number
  /** Name in the store's job records; default `<host>/<pid>`. */
  name?: string
  /** Bytes of decoded blobs kept between jobs; default 1 GiB. */
  cacheBytes?: number
  /** How often to look for runs whose coordinator's lease expired and remove them, in milliseconds; default 60,000. */
  reapEveryMs?: number
  /** Hears of each removal of abandoned runs (also the one at start-up) and of a look that failed. */
  onReaped?: (outcome: { runs: readonly ReapedRun[] } | { error: Error }) => void
}

/** A running scan worker. */
export interface ScanWorker {
  readonly name: string
  close(): Promise<void>
}

const defaultLockMs = 15_000
const defaultReapEveryMs = 60_000
/** How often a detector job waiting for a shared analysis looks for the coordinator's answer. */
const askPollMs = 100
/** A job held by workers that vanished this often is given up (and the scan with it) rather than tried forever. */
const maxStalledCount = 5

/**
 * Takes scan jobs from the queues until closed, one analysis job and one detector job at a time (a detector job may
 * wait for an analysis that analysis jobs compute): reads their blobs from the store (kept decoded between jobs),
 * computes the job exactly as a single process would, and writes the result once, keyed by the job.
 */
export async function startScanWorker(options: ScanWorkerOptions): Promise<ScanWorker> {
  const bullmq = await loadBullmq(options.queue)
  const connection = await connectRedis(options.queue)
  const store = await openScanStore(options.store, { schema: options.schema })
  const prefix = options.prefix ?? 'poisonguard'
  const queues = [scanQueueName, detectorQueueName].map(
    (name) => new bullmq.Queue(name, { connection, prefix }),
  )
  const reap = async () => {
    const runs = await reapAbandonedRuns(store, queues, prefix)
    if (runs.length > 0) options.onReaped?.({ runs })
  }
  try {
    await reap()
  } catch (error) {
    for (const queue of queues) await queue.close()
    await store.close()
    throw error
  }
  const backend = await createDefaultBackend()
  // Folds train on a worker thread so this thread keeps renewing the job's lock while they do.
  const folds = createWorkerFoldExecutor({ threads: 1 })
  // Detectors too, on a thread of their own: a detector job may run beside an analysis job.
  const detectors = createWorkerDetectorExecutor({ threads: 1, minRows: 0, texts: true })
  const name = options.name ?? `${hostname()}/${process.pid}`
  const blobs = createBlobCache(store, options.cacheBytes ?? 2 ** 30)
  const runDetectorJob = createDetectorJobRunner({
    store,
    blob: blobs,
    // In shared memory, which the detector thread is sent without another copy.
    matrix: (digest) => matrixOf(blobs, digest, 'shared'),
    executor: detectors,
    askPollMs,
  })
  const compute = (data: ScanJob) => {
    switch (data.kind) {
      case 'features':
        return runFeaturesJob(data, store)
      case 'knn':
        return runKnnJob(data, backend, blobs)
      case 'ivf':
        return runIvfJob(data, backend, blobs)
      case 'fold':
        return runFoldJob(data, folds, blobs)
      case 'class':
        return runClassJob(data, blobs, store)
      case 'detector':
        return runDetectorJob(data)
    }
  }
  const lockMs = options.lockMs ?? defaultLockMs
  let reaping = Promise.resolve()
  const reaper = setInterval(() => {
    reaping = reap().catch((error: Error) => options.onReaped?.({ error }))
  }, options.reapEveryMs ?? defaultReapEveryMs)
  reaper.unref()
  const workers: Worker[] = [scanQueueName, detectorQueueName].map(
    (queueName) =>
      new bullmq.Worker(
        queueName,
        async (job: Job) => {
          const id = job.id ?? ''
          const data = parseScanJob(job.data, id)
          if (!(await store.startJob(id, name))) return
          await store.finishJob(id, data.run, name, await compute(data))
        },
        {
          connection,
          prefix,
          concurrency: 1,
          lockDuration: lockMs,
          stalledInterval: lockMs,
          maxStalledCount,
        },
      ),
  )
  await Promise.all(workers.map((worker) => worker.waitUntilReady()))
  return {
    name,
    async close() {
      clearInterval(reaper)
      await reaping
      await Promise.all(workers.map((worker) => worker.close()))
      for (const queue of queues) await queue.close()
      await detectors.close()
      await folds.close()
      await backend.dispose()
      await store.close()
    },
  }
}

type BlobCache = (digest: string) => Promise<Uint8Array>

/** The newest blobs read, up to a byte budget: a worker reads a scan's matrix once for all its jobs. */
function createBlobCache(store: ScanStore, budget: number): BlobCache {
  const cached = new Map<string, Promise<Uint8Array>>()
  const sizes = new Map<string, number>()
  let bytes = 0
  return (digest) => {
    const hit = cached.get(digest)
    if (hit) {
      cached.delete(digest)
      cached.set(digest, hit)
      return hit
    }
    const read = store.getBlob(digest).then((blob) => {
      sizes.set(digest, blob.byteLength)
      bytes += blob.byteLength
      for (const [old] of cached) {
        if (bytes <= budget || old === digest) break
        bytes -= sizes.get(old) ?? 0
        sizes.delete(old)
        cached.delete(old)
      }
      return blob
    })
    read.catch(() => cached.delete(digest))
    cached.set(digest, read)
    return read
  }
}

const decodedMatrices = {
  ordinary: new WeakMap<Uint8Array, FeatureMatrix | SparseMatrix>(),
  shared: new WeakMap<Uint8Array, FeatureMatrix | SparseMatrix>(),
}

/**
 * The matrix in a blob, decoded once per cached blob and memory: the neighbour and fold jobs read ordinary memory
 * (the ONNX backend copies shared memory on every call), the detector thread shared memory.
 */
async function matrixOf(
  blobs: BlobCache,
  digest: string,
  memory: UnpackMemory = 'ordinary',
): Promise<FeatureMatrix | SparseMatrix> {
  const bytes = await blobs(digest)
  let matrix = decodedMatrices[memory].get(bytes)
  if (!matrix) {
    matrix = unpackMatrix(bytes, memory)
    decodedMatrices[memory].set(bytes, matrix)
  }
  return matrix
}

/** A block's texts are read once, by this job alone, so they skip the cache that keeps the matrices between jobs. */
async function runFeaturesJob(job: FeaturesJob, store: ScanStore): Promise<Uint8Array> {
  const texts = decodeValue<string[]>(await store.getBlob(job.rows))
  return packTermFrequencies(
    countTexts(texts, job.settings, { termFrequencies: true }),
    job.settings.hashBits,
  )
}

async function runKnnJob(job: KnnJob, backend: LinalgBackend, blobs: BlobCache): Promise<Uint8Array> {
  const base = (await matrixOf(blobs, job.base)) as FeatureMatrix
  const queries = job.queries ? ((await matrixOf(blobs, job.queries)) as FeatureMatrix) : base
  const { cols } = queries
  const block = {
    data: queries.data.subarray(job.start * cols, job.end * cols),
    rows: job.end - job.start,
    cols,
  }
  const graph = await backend.knn(base, block, job.k, {
    metric: job.metric,
    excludeSelf: job.excludeSelf,
    selfOffset: job.start + job.selfOffset,
  })
  return pack({ meta: {}, arrays: { indices: graph.indices, distances: graph.distances } })
}

type InvertedIndex = Pick<IvfSearchPlan, 'rows' | 'starts' | 'filed' | 'filedStarts' | 'nearest'>
const decodedIndices = new WeakMap<Uint8Array, InvertedIndex>()

async function runIvfJob(job: IvfJob, backend: LinalgBackend, blobs: BlobCache): Promise<Uint8Array> {
  const matrix = (await matrixOf(blobs, job.matrix)) as FeatureMatrix
  const bytes = await blobs(job.index)
  let index = decodedIndices.get(bytes)
  if (!index) {
    const { arrays } = unpack(bytes)
    index = {
      rows: arrays.rows as Int32Array,
      starts: arrays.starts as Int32Array,
      filed: arrays.filed as Int32Array,
      filedStarts: arrays.filedStarts as Int32Array,
      nearest: arrays.nearest as Int32Array,
    }
    decodedIndices.set(bytes, index)
  }
  const plan = { ...index, k: job.k, metric: job.metric, probes: job.probes, reach: job.reach }
  const found = await searchListRange(backend, matrix, plan, job.firstList, job.endList)
  return pack({ meta: {}, arrays: { indices: found.indices, distances: found.distances } })
}

async function runFoldJob(job: FoldJob, folds: WorkerFoldExecutor, blobs: BlobCache): Promise<Uint8Array> {
  const x = await matrixOf(blobs, job.x)
  const { arrays } = unpack(await blobs(job.fold))
  const [probabilities] = await folds.fitFolds([
    {
      x,
      labels: arrays.labels as Int32Array,
      trainRows: arrays.trainRows as Int32Array,
      testRows: arrays.testRows as Int32Array,
      classCount: job.classCount,
      seed: job.seed,
      train: job.train,
    },
  ])
  return pack({ meta: {}, arrays: { probabilities } })
}

const decodedRows = new WeakMap<Uint8Array, Int32Array>()

/** A class job's row numbers: decoded once per cached blob (both steps of a class read them), or its range. */
async function classRowsOf(rows: ClassJob['rows'], blobs: BlobCache): Promise<Int32Array> {
  if (typeof rows !== 'string')
    return Int32Array.from({ length: rows.end - rows.start }, (_, at) => rows.start + at)
  const bytes = await blobs(rows)
  let decoded = decodedRows.get(bytes)
  if (!decoded) {
    decoded = unpack(bytes).arrays.rows as Int32Array
    decodedRows.set(bytes, decoded)
  }
  return decoded
}

/** One class's step of the class spectra, on its rows of the geometry alone, as one process runs it. */
async function runClassJob(job: ClassJob, blobs: BlobCache, store: ScanStore): Promise<Uint8Array> {
  const features = (await matrixOf(blobs, job.matrix)) as FeatureMatrix
  const rows = await classRowsOf(job.rows, blobs)
  const { step } = job
  if (step.name === 'scatter') return pack({ meta: {}, arrays: { ...meanAndScatter(features, rows) } })
  const own = unpack(await store.readResult(step.own)).arrays
  const total = {
    scatter: unpack(await blobs(step.total)).arrays.scatter as Float64Array,
    rows: step.totalRows,
  }
  const { relativeVariances, directions, coordinates } = classSpectrumValues(
    features,
    rows,
    { mean: own.mean as Float64Array, scatter: own.scatter as Float64Array },
    total,
    step.componentCount,
  )
  return pack({ meta: {}, arrays: { relativeVariances, directions, coordinates } })
}
