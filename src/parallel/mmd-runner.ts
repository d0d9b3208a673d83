import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads'
import type { Dataset } from '../data/dataset.js'
import type { FeatureMatrix } from '../data/matrix.js'
import type { SharedColumnSort } from '../drift/columns.js'
import { type MmdJob, type MmdResult, type MmdRunner, mmdTest } from '../drift/mmd.js'
import type { MmdCheckOptions, MmdInputs, MmdSide } from '../drift/mmd-job.js'
import { type MmdWork, takeChunks } from '../drift/mmd-work.js'
import type { LoadOptions } from '../io/load.js'
import { createRng } from '../util/rng.js'
import { FLAG } from './mmd-flags.js'
import { type SharedCopies, sharedMatrix } from './task-pool.js'

/** Load options that can go to another thread: no callbacks, no signal. */
export type PlainLoadOptions = Omit<LoadOptions, 'onProgress' | 'progressEvents' | 'signal'>

/** Whether the worker sorts the reference's columns with the calling thread: only below the sketches' threshold. */
export interface ColumnSortRequest {
  sketchAboveRows?: number
}

/**
 * What `mmd-worker` is started with: flags it raises as it goes (`FLAG`), and a file to read first, whose columns
 * it then sorts with the calling thread when asked to.
 */
export interface MmdWorkerData {
  flags: Int32Array
  port: MessagePort
  load?: { path: string; options: PlainLoadOptions; sortColumns?: ColumnSortRequest }
}

/** The batch of a check whose reference `mmd-worker` reads, for the check's MMD test. */
export interface BatchForMmd {
  batch: MmdSide
  batchHasText: boolean
  options: MmdCheckOptions & { text?: boolean }
}

/**
 * The test `mmd-worker` is asked to run, its matrices in shared memory; or the batch of the check whose reference it
 * read, so it decides on that check's test itself; or word that none will come.
 */
export type MmdJobMessage = MmdInputs | BatchForMmd | 'cancel'

/** What `mmd-worker` posts back after the test. */
export type MmdWorkerReply = { result: MmdResult } | { failed: true }

/**
 * Kernel work of the test, posted while the worker does it, so that the calling thread, once it waits for the
 * answer, takes chunks too (`takeChunks` with these claims).
 */
export interface MmdWorkOffer {
  work: MmdWork
  claims: Int32Array
}

/**
 * What `mmd-worker` posts back after reading the file it was started with, and the sorts of its columns it goes on
 * with when asked to. The sources go as codes into their distinct names: a message would carry one string per
 * record, where the loader gives one per source.
 */
export type ReferenceReply =
  | {
      dataset: Omit<Dataset, 'sources'>
      sources?: { names: string[]; codes: Int32Array }
      sort?: SharedColumnSort
    }
  | { failed: true }

/** The reference as the worker read it, and the sorts of its columns the worker goes on with, when asked to. */
export interface ReadReference {
  dataset: Dataset
  sort?: SharedColumnSort
}

/** A dataset as `mmd-worker` posts it, with the shared sorts of its columns. */
export function postedDataset(dataset: Dataset, sort?: SharedColumnSort): ReferenceReply {
  const { sources, ...rest } = dataset
  if (!sources) return { dataset: rest, ...(sort ? { sort } : {}) }
  const slots = new Map<string, number>()
  const codes = new Int32Array(sources.length)
  for (let row = 0; row < sources.length; row++) {
    let code = slots.get(sources[row])
    if (code === undefined) {
      code = slots.size
      slots.set(sources[row], code)
    }
    codes[row] = code
  }
  return { dataset: rest, sources: { names: [...slots.keys()], codes }, ...(sort ? { sort } : {}) }
}

/** The dataset of a `postedDataset` reply, its sources one string per source again. */
function receivedReference(reply: ReferenceReply): ReadReference | undefined {
  if (!('dataset' in reply)) return undefined
  const { sort } = reply
  const read = (dataset: Dataset): ReadReference => (sort ? { dataset, sort } : { dataset })
  if (!reply.sources) return read(reply.dataset)
  const { names, codes } = reply.sources
  const sources = new Array<string>(codes.length)
  for (let row = 0; row < codes.length; row++) sources[row] = names[codes[row]]
  return read({ ...reply.dataset, sources })
}

/** How long a starting worker may take before the calling thread runs the test itself. */
const startAllowanceMs = 30_000

function runHere(reference: FeatureMatrix, batch: FeatureMatrix, job: MmdJob): MmdResult {
  return mmdTest(reference, batch, { ...job, rng: createRng(job.seed) })
}

interface RunnerOptions {
  workerUrl?: URL
  threads?: number
}

function workerUrlOf(options: RunnerOptions): URL | undefined {
  const workerUrl = options.workerUrl ?? new URL('./mmd-worker.js', import.meta.url)
  const usable = (options.threads ?? availableParallelism()) > 1 && existsSync(fileURLToPath(workerUrl))
  return usable ? workerUrl : undefined
}

interface MmdWorker {
  worker: Worker
  /** The calling thread's end of the channel. */
  port: MessagePort
  /** Raised by the worker as it goes: see `FLAG`. */
  flags: Int32Array
  /** Set when the worker stopped before it was asked for a test. */
  gone: boolean
}

function spawnMmdWorker(workerUrl: URL, load?: MmdWorkerData['load']): MmdWorker | undefined {
  const flags = new Int32Array(new SharedArrayBuffer(4 * Object.keys(FLAG).length))
  const { port1, port2 } = new MessageChannel()
  const workerData: MmdWorkerData = { flags, port: port2, ...(load ? { load } : {}) }
  try {
    const worker = new Worker(workerUrl, { workerData, transferList: [port2] })
    worker.unref()
    const spawned: MmdWorker = { worker, port: port1, flags, gone: false }
    const stopped = () => {
      spawned.gone = true
    }
    worker.on('error', stopped)
    worker.on('exit', stopped)
    return spawned
  } catch {
    port1.close()
    return undefined
  }
}

/**
 * The worker's answer, taking chunks of the kernel work it offers meanwhile, so that this thread, done with its own
 * tests, speeds the test up rather than sits idle; undefined when the worker finished without an answer.
 */
function helpUntilAnswered(port: MessagePort, flags: Int32Array): MmdWorkerReply | undefined {
  for (;;) {
    // Read before the queue: a message posted after the queue is read raises `posted` past this.
    const posted = Atomics.load(flags, FLAG.posted)
    const finished = Atomics.load(flags, FLAG.finished) === 1
    for (;;) {
      const message = receiveMessageOnPort(port)?.message as
        | MmdWorkerReply
        | MmdWorkOffer
        | ReferenceReply
        | undefined
      if (!message) break
      if ('work' in message) takeChunks(message.work, message.claims)
      else if (!('dataset' in message)) return message
    }
    if (finished) return undefined
    Atomics.wait(flags, FLAG.posted, posted)
  }
}

/**
 * The wait for the worker's answer: synchronous (the check is synchronous), so the worker answers through shared
 * flags and a message port read without the event loop. A worker that cannot run the test, or fails it, leaves it
 * to the calling thread, with the same result.
 */
function awaitMmd(spawned: MmdWorker, inputs: MmdInputs): () => MmdResult {
  const { worker, port, flags } = spawned
  const { reference, batch, job } = inputs
  return () => {
    // A worker that never starts (no memory for a new thread, say) would block the check forever; after the
    // start-up allowance the test runs here instead.
    Atomics.wait(flags, FLAG.started, 0, startAllowanceMs)
    if (Atomics.load(flags, FLAG.started) === 0 && Atomics.load(flags, FLAG.finished) === 0) {
      void worker.terminate()
      port.close()
      return runHere(reference, batch, job)
    }
    const reply = helpUntilAnswered(port, flags)
    port.close()
    return reply && 'result' in reply ? reply.result : runHere(reference, batch, job)
  }
}

/** Sends the test to the worker, its matrices in shared memory, and returns the wait for the answer. */
function sendMmdJob(
  spawned: MmdWorker,
  reference: FeatureMatrix,
  batch: FeatureMatrix,
  job: MmdJob,
): () => MmdResult {
  if (spawned.gone) return () => runHere(reference, batch, job)
  const copies: SharedCopies = new Map()
  const inputs: MmdInputs = {
    reference: sharedMatrix(reference, copies),
    batch: sharedMatrix(batch, copies),
    job,
  }
  spawned.port.postMessage(inputs satisfies MmdJobMessage)
  return awaitMmd(spawned, { reference, batch, job })
}

/**
 * Runs each MMD test on a worker thread of its own while the calling thread goes on with the per-column tests. With
 * one core, or without the compiled worker (tests run from source), or when the worker fails, the test runs on the
 * calling thread, with the same result.
 */
export function createWorkerMmdRunner(options: RunnerOptions = {}): MmdRunner {
  const workerUrl = workerUrlOf(options)
  return {
    start(reference, batch, job) {
      const spawned = workerUrl && spawnMmdWorker(workerUrl)
      return spawned ? sendMmdJob(spawned, reference, batch, job) : () => runHere(reference, batch, job)
    },
  }
}

/** A worker thread reading the reference of a check, which then runs the check's MMD test. */
export interface ReferenceWorker {
  /** The reference as the worker read it; undefined when it could not, and the caller reads it itself. */
  readonly reference: Promise<ReadReference | undefined>
  /**
   * Hands the batch to the worker as soon as it is read, so that the check's MMD test starts once the reference is
   * in, decided there by the check's rule (`checkMmdInputs`).
   */
  sendBatch(batch: Dataset, options: BatchForMmd['options']): void
  /**
   * The wait for the check's MMD test, whose `inputs` the caller found with the same rule: the worker's answer
   * when `sendBatch` went first, else the test is sent now; run here when the worker could not.
   */
  awaitMmd(inputs: MmdInputs): () => MmdResult
  /** Ends the worker if no MMD test went to it. */
  close(): void
}

interface ReferenceWorkerOptions extends RunnerOptions {
  /** The worker then sorts the reference's columns, sharing them with the calling thread (`ReadReference.sort`). */
  sortColumns?: ColumnSortRequest
}

/**
 * Starts a worker thread that reads the reference of a check while the calling thread reads the batch, sorts its
 * columns with the calling thread when asked to, and then runs the check's MMD test: so loading and sorting use both
 * cores, and the test neither waits for a thread to start nor for the calling thread to take the reference in.
 * Undefined with one core or without the compiled worker (tests run from source).
 */
export function startReferenceWorker(
  path: string,
  loadOptions: PlainLoadOptions,
  options: ReferenceWorkerOptions = {},
): ReferenceWorker | undefined {
  const workerUrl = workerUrlOf(options)
  const { sortColumns } = options
  const spawned =
    workerUrl &&
    spawnMmdWorker(workerUrl, { path, options: loadOptions, ...(sortColumns ? { sortColumns } : {}) })
  if (!spawned) return undefined
  const { worker, port } = spawned
  const reference = new Promise<ReadReference | undefined>((resolve) => {
    const settle = (read: ReadReference | undefined) => {
      worker.off('error', failed)
      worker.off('exit', failed)
      port.off('message', onMessage)
      port.unref()
      resolve(read)
    }
    const failed = () => settle(undefined)
    const onMessage = (reply: ReferenceReply) => settle(receivedReference(reply))
    worker.on('error', failed)
    worker.on('exit', failed)
    port.on('message', onMessage)
    // The reply keeps the process alive until it comes, as the read would on this thread.
    port.ref()
  })
  let state: 'idle' | 'batch sent' | 'used' = 'idle'
  return {
    reference,
    sendBatch(batch, checkOptions) {
      if (state !== 'idle' || spawned.gone) return
      state = 'batch sent'
      const message: BatchForMmd = {
        batch: {
          features: batch.features && sharedMatrix(batch.features, new Map()),
          featureNames: batch.featureNames,
        },
        batchHasText: batch.texts !== undefined,
        options: checkOptions,
      }
      port.postMessage(message satisfies MmdJobMessage)
    },
    awaitMmd(inputs) {
      const sent = state
      state = 'used'
      if (sent === 'batch sent' && !spawned.gone) return awaitMmd(spawned, inputs)
      if (sent === 'idle') return sendMmdJob(spawned, inputs.reference, inputs.batch, inputs.job)
      return () => runHere(inputs.reference, inputs.batch, inputs.job)
    },
    close() {
      if (state === 'used') return
      state = 'used'
      void worker.terminate()
      port.close()
    },
  }
}
