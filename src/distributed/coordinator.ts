import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Queue } from 'bullmq'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import type {
  ClassScatter,
  ClassSpectraSteps,
  ClassSpectrumValues,
  TotalScatter,
} from '../detectors/class-spectra.js'
import { PoisonguardError } from '../errors.js'
import { countTexts as countTextsHere, type TextCounter, type TextCounts } from '../features/text.js'
import { textBlocks } from '../features/text-blocks.js'
import { searchListRange } from '../linalg/ann/ivf.js'
import type { IvfSearchPlan, ListNeighbours, ListSearchingBackend } from '../linalg/ann/lists.js'
import type { KnnOptions, LinalgBackend, NeighbourGraph } from '../linalg/backend.js'
import type { FoldExecutor, FoldTask } from '../models/cross-validation.js'
import type { DetectorExecutor } from '../scan/pipeline.js'
import { throwIfAborted } from '../util/abort.js'
import { digestOf, pack, packMatrix, unpack } from './codec.js'
import { encodeValue } from './detector-input.js'
import {
  type ClassJob,
  type FeaturesJob,
  type FoldJob,
  type IvfJob,
  type KnnJob,
  type ScanJob,
  scanJobId,
} from './jobs.js'
import { groupLists, planPairs } from './list-groups.js'
import { openScanQueues } from './queue.js'
import { reapAbandonedRuns } from './reap.js'
import { openScanStore, type ReapedRun, type ScanJobRecord, type ScanStore } from './scan-store.js'
import { createDetectorJobExecutor } from './send-detectors.js'
import { unpackTermFrequencies } from './text-counts.js'

/** Where a distributed scan sends its jobs and keeps their results. */
export interface DistributedOptions {
  /** `redis://…` of the BullMQ queue the workers take jobs from. */
  workers: string
  /** `postgres://…` of the store holding blobs, job states and results. */
  store: string
  /** PostgreSQL schema of the store's tables; default the connection's own. */
  schema?: string
  /** BullMQ key prefix; default `poisonguard`. Workers must use the same. */
  prefix?: string
  /**
   * Query rows per neighbour job; default about 5·10⁷ distances' worth (500 rows against 100,000). An approximate
   * search's jobs are runs of its inverted lists holding about this many rows (default: as many distances, and at
   * least 24 jobs).
   */
  jobRows?: number
  /** Neighbour searches of fewer query × base rows than this stay on the coordinator; default 2²². */
  minimumPairs?: number
  /**
   * Characters of text per feature job (each text counted up to the features' character limit, plus a few per
   * text); default 2²² (about a second of counting).
   */
  textJobChars?: number
  /** Texts of fewer characters than this in all are counted on the coordinator; default 2²⁴. */
  minimumTextChars?: number
  /** How often the coordinator looks for finished jobs, in milliseconds; default 200. */
  pollMs?: number
  /**
   * Milliseconds the run stays the coordinator's without a renewal; default 600,000. Renewed ten times a lease while
   * the coordinator's event loop turns; once it expires, any worker or later coordinator removes what the run left.
   * Longer than the longest the coordinator computes without yielding (loading, features, fusion of a large file).
   */
  leaseMs?: number
  /** Stops waiting for jobs; the scan then fails with the typed `ABORTED` error. */
  signal?: AbortSignal
  /**
   * Run the built-in detectors as jobs on the workers too; default false, the detectors then run on the coordinator.
   * At 1,000,000 × 64 on one 2-core machine they took the coordinator's CPU from 127 to 90 s but cost the three
   * workers 354 CPU s more; at 100,000 × 64 they now save the coordinator about 6 CPU s and cost the workers about 9
   * (docs/scale.md).
   */
  detectorJobs?: boolean
  /**
   * Measure the class spectra (what `spectral-signature` and `activation-clustering` read) as jobs of one class
   * each, every job sent that class's row numbers and reading the rows from the geometry the neighbour jobs stored;
   * default false, the coordinator then measures them itself. With the geometry stored, at 100,000 × 64 they cost
   * the coordinator about what one process spends (0.4–0.6 CPU s) and the workers 1.2–1.4 CPU s more; at
   * 20,000 × 784 they took the coordinator from 18.9 to 4.4 CPU s. Without it stored, the jobs store it and cost the
   * coordinator more than one process (docs/scale.md).
   */
  classJobs?: boolean
}

/** The coordinator of one distributed scan: a backend and a fold executor whose work runs as jobs on workers. */
export interface Coordinator {
  readonly run: string
  /** Runs of other coordinators whose lease had expired, removed when this one started. */
  readonly reaped: readonly ReapedRun[]
  /**
   * `local` with its k-NN searches above the size threshold split into jobs, and an approximate search's inverted
   * lists searched as jobs of several lists each; products stay local.
   */
  backend(local: LinalgBackend): ListSearchingBackend
  /**
   * Counts the texts' terms in blocks of about equal work, one job each, above the size threshold; here below it.
   * The blocks come back in row order, exactly as counted here.
   */
  readonly countTexts: TextCounter
  /** Runs each cross-validation fold as one job. */
  readonly executor: FoldExecutor
  /** Runs each built-in detector as one job, answering the shared analyses it asks for through the store. */
  readonly detectors: DetectorExecutor
  /**
   * Runs the class spectra's two per-class steps as jobs, one per class, each sent that class's row numbers; the
   * workers read the rows from the geometry they hold.
   */
  readonly classSpectra: ClassSpectraSteps
  /** Workers listening on the queue now. */
  workerCount(): Promise<number>
  /** Every job of this run so far, with the worker that finished it and how often it was started. */
  jobs(): Promise<ScanJobRecord[]>
  /** Removes the run's jobs, results and blobs, and disconnects. */
  close(): Promise<void>
}

const defaultLeaseMs = 600_000
const renewalsPerLease = 10
const pairsPerJob = 5e7
const defaultMinimumPairs = 2 ** 22
const defaultTextJobChars = 2 ** 22
const defaultMinimumTextChars = 2 ** 24
/** Failures of a job's own (an exception, not a lost worker) before the scan gives up on it. */
const jobAttempts = 3
/** Polls between two looks at the queue for jobs that failed for good. */
const pollsPerFailureCheck = 10

/** Opens the queue and the store and starts a run; `close` it when the scan is over, however it ended. */
export async function openCoordinator(options: DistributedOptions): Promise<Coordinator> {
  for (const field of [
    'jobRows',
    'minimumPairs',
    'textJobChars',
    'minimumTextChars',
    'pollMs',
    'leaseMs',
  ] as const) {
    const value = options[field]
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      throw new PoisonguardError('INVALID_ARGUMENT', `${field} must be a positive integer, got ${value}`)
  }
  const store = await openScanStore(options.store, { schema: options.schema })
  const prefix = options.prefix ?? 'poisonguard'
  let queues: Queues | undefined
  try {
    const [analyses, detectors] = await openScanQueues(options.workers, prefix)
    queues = { analyses, detectors }
    const reaped = await reapAbandonedRuns(store, [analyses, detectors], prefix)
    const run = randomUUID()
    await store.startRun(run, {
      queuePrefix: prefix,
      owner: `${hostname()}/${process.pid}`,
      leaseMs: options.leaseMs ?? defaultLeaseMs,
    })
    return createCoordinator(store, queues, run, reaped, options)
  } catch (error) {
    await queues?.analyses.close()
    await queues?.detectors.close()
    await store.close()
    throw error
  }
}

/** The queue of the analysis jobs (neighbours, folds) and the queue of the detector jobs. */
interface Queues {
  readonly analyses: Queue
  readonly detectors: Queue
}

function createCoordinator(
  store: ScanStore,
  queues: Queues,
  run: string,
  reaped: readonly ReapedRun[],
  options: DistributedOptions,
): Coordinator {
  /** Set once the run was found removed: its jobs will not be run and its results are gone. */
  let lost: PoisonguardError | undefined
  const leaseMs = options.leaseMs ?? defaultLeaseMs
  const pollMs = options.pollMs ?? 200
  const renewal = setInterval(
    () => {
      store.renewRun(run).then(
        (held) => {
          if (!held)
            lost ??= new PoisonguardError(
              'ABORTED',
              `the distributed scan's run ${run} was removed as abandoned: the coordinator did not renew its ${leaseMs} ms lease in time`,
              { hint: 'give the coordinator a longer lease (scan --lease <ms>)' },
            )
        },
        // A store out of reach for a moment is retried at the next renewal; for longer, the lease runs out.
        () => {},
      )
    },
    Math.max(1, Math.floor(leaseMs / renewalsPerLease)),
  )
  renewal.unref()
  const digests = new WeakMap<object, Promise<string>>()
  /** Jobs queued and not yet finished, with their queue: taken off it when the scan ends early. */
  const unfinished = new Map<string, Queue>()
  let stages = 0

  /** Stores a matrix once per object and content; jobs name it by digest. */
  const upload = (matrix: FeatureMatrix | SparseMatrix): Promise<string> => {
    let digest = digests.get(matrix)
    if (!digest) {
      digest = putBytes(packMatrix(matrix))
      digests.set(matrix, digest)
    }
    return digest
  }
  const putBytes = async (bytes: Uint8Array) => {
    const digest = digestOf(bytes)
    await store.putBlob(run, digest, bytes)
    return digest
  }

  /** One timer for every job loop of the run: they wake together, so their looks at the store go out as one query. */
  let polling: Promise<void> | undefined
  const nextPoll = () => {
    polling ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        polling = undefined
        resolve()
      }, pollMs),
    )
    return polling
  }
  /** Finished jobs among `ids` and the ids other loops asked about in the same turn, in one query. */
  let looking: { ids: Set<string>; finished: Promise<Set<string>> } | undefined
  const finishedAmong = (ids: readonly string[]) => {
    if (!looking) {
      const batch = new Set<string>()
      looking = {
        ids: batch,
        finished: Promise.resolve().then(() => {
          looking = undefined
          return store.finishedJobs([...batch])
        }),
      }
    }
    for (const id of ids) looking.ids.add(id)
    return looking.finished
  }

  /**
   * Queues the jobs (all of one kind) and hands each result to `take` as it arrives, calling `onPoll` at each poll
   * meanwhile; a job that failed for good fails the scan.
   */
  const runJobs = async (
    jobs: ReadonlyArray<{ id: string; data: ScanJob }>,
    take: (index: number, payload: Uint8Array) => void,
    signal?: AbortSignal,
    onPoll?: () => void,
  ) => {
    const queue = jobs[0]?.data.kind === 'detector' ? queues.detectors : queues.analyses
    await store.addJobs(
      run,
      jobs.map(({ id, data }) => ({ job: id, kind: data.kind })),
    )
    await queue.addBulk(
      jobs.map(({ id, data }) => ({
        name: data.kind,
        data,
        opts: {
          jobId: id,
          attempts: jobAttempts,
          backoff: { type: 'exponential', delay: 500 },
          removeOnComplete: true,
          removeOnFail: 1000,
        },
      })),
    )
    for (const { id } of jobs) unfinished.set(id, queue)
    const outstanding = new Map(jobs.map(({ id }, index) => [id, index]))
    for (let poll = 1; outstanding.size > 0; poll++) {
      throwIfAborted(signal ?? options.signal, 'the distributed scan')
      if (lost) throw lost
      await nextPoll()
      onPoll?.()
      for (const id of await finishedAmong([...outstanding.keys()])) {
        if (!outstanding.has(id)) continue
        take(outstanding.get(id)!, await store.readResult(id))
        outstanding.delete(id)
        unfinished.delete(id)
      }
      if (poll % pollsPerFailureCheck === 0) await checkFailures(queue, outstanding.keys())
    }
  }

  const searchBlocks = async (
    base: FeatureMatrix,
    queries: FeatureMatrix,
    k: number,
    knnOptions: KnnOptions,
  ): Promise<NeighbourGraph> => {
    const stage = stages++
    const [baseDigest, queryDigest] = await Promise.all([
      upload(base),
      queries === base ? undefined : upload(queries),
    ])
    const blockRows = options.jobRows ?? Math.max(64, Math.ceil(pairsPerJob / base.rows))
    const jobs: Array<{ id: string; data: KnnJob }> = []
    for (let start = 0; start < queries.rows; start += blockRows) {
      const data: KnnJob = {
        kind: 'knn',
        run,
        base: baseDigest,
        ...(queryDigest ? { queries: queryDigest } : {}),
        start,
        end: Math.min(queries.rows, start + blockRows),
        selfOffset: knnOptions.selfOffset ?? 0,
        k,
        metric: knnOptions.metric,
        excludeSelf: knnOptions.excludeSelf === true,
      }
      jobs.push({ id: scanJobId(run, stage, jobs.length), data })
    }
    const indices = new Int32Array(queries.rows * k)
    const distances = new Float32Array(queries.rows * k)
    let done = 0
    await runJobs(jobs, (index, payload) => {
      const { arrays } = unpack(payload)
      indices.set(arrays.indices as Int32Array, jobs[index].data.start * k)
      distances.set(arrays.distances as Float32Array, jobs[index].data.start * k)
      done += jobs[index].data.end - jobs[index].data.start
      knnOptions.onProgress?.(done / queries.rows)
    })
    return { rows: queries.rows, k, indices, distances }
  }

  /** The inverted lists of an approximate search, a run of lists per job, all against one stored matrix and index. */
  const searchLists = async (
    matrix: FeatureMatrix,
    plan: IvfSearchPlan,
    onProgress?: (fractionDone: number) => void,
  ): Promise<ListNeighbours> => {
    const stage = stages++
    const { k } = plan
    const index = pack({
      meta: {},
      arrays: {
        rows: plan.rows,
        starts: plan.starts,
        filed: plan.filed,
        filedStarts: plan.filedStarts,
        nearest: plan.nearest,
      },
    })
    const [matrixDigest, indexDigest] = await Promise.all([upload(matrix), putBytes(index)])
    const groups = groupLists(plan, { pairsPerGroup: pairsPerJob, rowsPerGroup: options.jobRows })
    const jobs = groups.map(({ firstList, endList }, part) => {
      const data: IvfJob = {
        kind: 'ivf',
        run,
        matrix: matrixDigest,
        index: indexDigest,
        firstList,
        endList,
        k,
        metric: plan.metric,
        probes: plan.probes,
        reach: plan.reach,
      }
      return { id: scanJobId(run, stage, part), data }
    })
    const indices = new Int32Array(plan.rows.length * k)
    const distances = new Float32Array(plan.rows.length * k)
    let done = 0
    await runJobs(jobs, (part, payload) => {
      const { arrays } = unpack(payload)
      const { firstList, endList } = jobs[part].data
      indices.set(arrays.indices as Int32Array, plan.starts[firstList] * k)
      distances.set(arrays.distances as Float32Array, plan.starts[firstList] * k)
      done += plan.starts[endList] - plan.starts[firstList]
      onProgress?.(done / plan.rows.length)
    })
    return { indices, distances }
  }

  const countTexts: TextCounter = async (texts, settings) => {
    const blocks = textBlocks(texts, settings.maxChars, options.textJobChars ?? defaultTextJobChars)
    if (blocks.work < (options.minimumTextChars ?? defaultMinimumTextChars))
      return [countTextsHere(texts, settings)]
    const stage = stages++
    const jobs = await Promise.all(
      blocks.ends.map(async (end, part) => {
        const start = part === 0 ? 0 : blocks.ends[part - 1]
        const data: FeaturesJob = {
          kind: 'features',
          run,
          step: 'text-counts',
          rows: await putBytes(encodeValue(texts.slice(start, end))),
          settings: { ...settings },
        }
        return { id: scanJobId(run, stage, part), data }
      }),
    )
    const counts: TextCounts[] = new Array(jobs.length)
    await runJobs(jobs, (part, payload) => {
      counts[part] = unpackTermFrequencies(payload, settings.hashBits)
    })
    return counts
  }

  const executor: FoldExecutor = {
    async fitFolds(tasks: readonly FoldTask[], { onFoldDone, signal } = {}) {
      const stage = stages++
      const jobs = await Promise.all(
        tasks.map(async (task, part) => {
          const fold = pack({
            meta: {},
            arrays: { labels: task.labels, trainRows: task.trainRows, testRows: task.testRows },
          })
          const data: FoldJob = {
            kind: 'fold',
            run,
            x: await upload(task.x),
            fold: await putBytes(fold),
            classCount: task.classCount,
            seed: task.seed,
            ...(task.train ? { train: { ...task.train } } : {}),
          }
          return { id: scanJobId(run, stage, part), data }
        }),
      )
      const probabilities: Float32Array[] = new Array(tasks.length)
      await runJobs(
        jobs,
        (index, payload) => {
          probabilities[index] = unpack(payload).arrays.probabilities as Float32Array
          onFoldDone?.()
        },
        signal,
      )
      return probabilities
    },
  }

  /**
   * Each class's row numbers, stored once for both steps (the steps share the rows' arrays); consecutive rows are
   * sent as their range. The rows themselves are read from the geometry, which the neighbour jobs stored already.
   */
  const classRows = new WeakMap<Int32Array, Promise<ClassJob['rows']>>()
  const classRowsOf = (rows: Int32Array) => {
    let sent = classRows.get(rows)
    if (!sent) {
      const start = rows[0] ?? 0
      sent = isRange(rows)
        ? Promise.resolve({ start, end: start + rows.length })
        : putBytes(pack({ meta: {}, arrays: { rows } }))
      classRows.set(rows, sent)
    }
    return sent
  }
  const classJob = async (
    features: FeatureMatrix,
    rows: Int32Array,
    step: ClassJob['step'],
  ): Promise<ClassJob> => ({
    kind: 'class',
    run,
    matrix: await upload(features),
    rows: await classRowsOf(rows),
    step,
  })
  /** The id of the job that measured each class's scatter: its second step reads the result there. */
  const scatterJobs = new WeakMap<Int32Array, string>()
  /** Every class's scatter added up, stored once for all the second steps. */
  const totals = new WeakMap<TotalScatter, Promise<string>>()
  const totalOf = (total: TotalScatter) => {
    let sent = totals.get(total)
    if (!sent) {
      sent = putBytes(pack({ meta: {}, arrays: { scatter: total.scatter } }))
      totals.set(total, sent)
    }
    return sent
  }
  const classSpectra: ClassSpectraSteps = {
    async scatters(features, rows) {
      const stage = stages++
      const jobs = await Promise.all(
        rows.map(async (classRows, part) => {
          const id = scanJobId(run, stage, part)
          scatterJobs.set(classRows, id)
          return { id, data: await classJob(features, classRows, { name: 'scatter' }) }
        }),
      )
      const scatters: ClassScatter[] = new Array(jobs.length)
      await runJobs(jobs, (part, payload) => {
        const { arrays } = unpack(payload)
        scatters[part] = { mean: arrays.mean as Float64Array, scatter: arrays.scatter as Float64Array }
      })
      return scatters
    },
    async spectra(features, tasks, componentCount) {
      const stage = stages++
      const jobs = await Promise.all(
        tasks.map(async (task, part) => {
          const step = {
            name: 'spectrum' as const,
            own: scatterJobs.get(task.rows)!,
            total: await totalOf(task.total),
            totalRows: task.total.rows,
            componentCount,
          }
          return { id: scanJobId(run, stage, part), data: await classJob(features, task.rows, step) }
        }),
      )
      const values: ClassSpectrumValues[] = new Array(jobs.length)
      await runJobs(jobs, (part, payload) => {
        const { arrays } = unpack(payload)
        values[part] = {
          relativeVariances: arrays.relativeVariances as Float64Array,
          directions: arrays.directions as Float64Array,
          coordinates: arrays.coordinates as Float64Array,
          // The step takes the class's mean as it is given.
          mean: tasks[part].own.mean,
        }
      })
      return values
    },
  }

  const detectors = createDetectorJobExecutor({
    run,
    store,
    pollMs,
    upload,
    putBytes,
    async runJob(data, signal, onPoll) {
      let result: Uint8Array | undefined
      await runJobs(
        [{ id: scanJobId(run, stages++, 0), data }],
        (_, payload) => {
          result = payload
        },
        signal,
        onPoll,
      )
      return result!
    },
  })

  return {
    run,
    reaped,
    backend(local) {
      const minimumPairs = options.minimumPairs ?? defaultMinimumPairs
      return {
        name: `${local.name} on workers`,
        knn: (base, queries, k, knnOptions) =>
          base.rows * queries.rows < minimumPairs
            ? local.knn(base, queries, k, knnOptions)
            : searchBlocks(base, queries, k, knnOptions),
        searchInvertedLists: (matrix, plan, onProgress) =>
          planPairs(plan) < minimumPairs
            ? searchListRange(local, matrix, plan, 0, plan.starts.length - 1, (rowsDone) =>
                onProgress?.(rowsDone / plan.rows.length),
              )
            : searchLists(matrix, plan, onProgress),
        matmul: (a, b) => local.matmul(a, b),
        dispose: () => local.dispose(),
      }
    },
    countTexts,
    executor,
    detectors,
    classSpectra,
    workerCount: () => queues.analyses.getWorkersCount(),
    jobs: () => store.jobs(run),
    async close() {
      clearInterval(renewal)
      try {
        // A scan that failed or was aborted leaves jobs no one will read; workers must not spend time on them.
        for (const [id, queue] of unfinished) await queue.remove(id).catch(() => 0)
        await store.deleteRun(run)
      } finally {
        await queues.analyses.close()
        await queues.detectors.close()
        await store.close()
      }
    },
  }
}

/** Whether the rows are consecutive numbers, each one more than the last. */
function isRange(rows: Int32Array): boolean {
  for (let index = 1; index < rows.length; index++) if (rows[index] !== rows[index - 1] + 1) return false
  return true
}

/** Fails with the worker's error when a job used up its attempts; a lost worker's job is retried, not failed. */
async function checkFailures(queue: Queue, ids: Iterable<string>): Promise<void> {
  for (const id of ids) {
    if ((await queue.getJobState(id)) !== 'failed') continue
    const job = await queue.getJob(id)
    throw new PoisonguardError(
      'JOB_FAILED',
      `scan job ${id} failed on the workers after ${job?.attemptsMade ?? jobAttempts} attempts: ${job?.failedReason ?? 'no reason given'}`,
      { hint: 'see the worker logs; the coordinator and every worker must run the same poisonguard version' },
    )
  }
}
