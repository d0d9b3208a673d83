import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads'
import type { Dataset } from '../data/dataset.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { type MmdJob, type MmdResult, type MmdRunner, mmdTest } from '../drift/mmd.js'
import type { LoadOptions } from '../io/load.js'
import { createRng } from '../util/rng.js'
import { type SharedCopies, sharedMatrix } from './task-pool.js'

/** Load options that can go to another thread: no callbacks, no signal. */
export type PlainLoadOptions = Omit<LoadOptions, 'onProgress' | 'progressEvents' | 'signal'>

/** What `mmd-worker` is started with: a flag it raises when its MMD answer is posted, and a file to read first. */
export interface MmdWorkerData {
  done: Int32Array
  port: MessagePort
  load?: { path: string; options: PlainLoadOptions }
}

/** The test `mmd-worker` is asked to run, its matrices in shared memory; or word that none will come. */
export type MmdJobMessage = { reference: FeatureMatrix; batch: FeatureMatrix; job: MmdJob } | 'cancel'

/** What `mmd-worker` posts back after the test. */
export type MmdWorkerReply = { result: MmdResult } | { failed: true }

/** What `mmd-worker` posts back after reading the file it was started with. */
export type ReferenceReply = { dataset: Dataset } | { failed: true }

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
  /** Slot 0 goes up when the MMD answer is posted (or none will come), slot 1 as soon as the worker runs. */
  done: Int32Array
  /** Set when the worker stopped before it was asked for a test. */
  gone: boolean
}

function spawnMmdWorker(workerUrl: URL, load?: MmdWorkerData['load']): MmdWorker | undefined {
  const done = new Int32Array(new SharedArrayBuffer(8))
  const { port1, port2 } = new MessageChannel()
  const workerData: MmdWorkerData = { done, port: port2, ...(load ? { load } : {}) }
  try {
    const worker = new Worker(workerUrl, { workerData, transferList: [port2] })
    worker.unref()
    const spawned: MmdWorker = { worker, port: port1, done, gone: false }
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
 * Sends the test to the worker and returns the wait for its answer: synchronous (the check is synchronous), so the
 * worker answers through a shared flag and a message port read without the event loop. A worker that cannot run
 * it, or fails it, leaves the test to the calling thread, with the same result.
 */
function sendMmdJob(
  spawned: MmdWorker,
  reference: FeatureMatrix,
  batch: FeatureMatrix,
  job: MmdJob,
): () => MmdResult {
  const { worker, port, done } = spawned
  if (spawned.gone) return () => runHere(reference, batch, job)
  const copies: SharedCopies = new Map()
  const message: MmdJobMessage = {
    reference: sharedMatrix(reference, copies),
    batch: sharedMatrix(batch, copies),
    job,
  }
  port.postMessage(message)
  return () => {
    // A worker that never starts (no memory for a new thread, say) would block the check forever; after the
    // start-up allowance the test runs here instead.
    Atomics.wait(done, 1, 0, startAllowanceMs)
    if (Atomics.load(done, 1) === 0 && Atomics.load(done, 0) === 0) {
      void worker.terminate()
      port.close()
      return runHere(reference, batch, job)
    }
    Atomics.wait(done, 0, 0)
    let reply: MmdWorkerReply | ReferenceReply | undefined
    do reply = receiveMessageOnPort(port)?.message as typeof reply
    while (reply && 'dataset' in reply)
    port.close()
    return reply && 'result' in reply ? reply.result : runHere(reference, batch, job)
  }
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
  readonly reference: Promise<Dataset | undefined>
  /** Runs the first MMD test on the same worker (its code is loaded by then), any further one on a new worker. */
  readonly runner: MmdRunner
  /** Ends the worker if no MMD test went to it. */
  close(): void
}

/**
 * Starts a worker thread that reads the reference of a check while the calling thread reads the batch, and then
 * takes the check's MMD test: so loading uses both cores, and the test does not wait for a thread to start.
 * Undefined with one core or without the compiled worker (tests run from source).
 */
export function startReferenceWorker(
  path: string,
  loadOptions: PlainLoadOptions,
  options: RunnerOptions = {},
): ReferenceWorker | undefined {
  const workerUrl = workerUrlOf(options)
  const spawned = workerUrl && spawnMmdWorker(workerUrl, { path, options: loadOptions })
  if (!spawned) return undefined
  const { worker, port } = spawned
  const reference = new Promise<Dataset | undefined>((resolve) => {
    const settle = (dataset: Dataset | undefined) => {
      worker.off('error', failed)
      worker.off('exit', failed)
      port.off('message', onMessage)
      port.unref()
      resolve(dataset)
    }
    const failed = () => settle(undefined)
    const onMessage = (reply: ReferenceReply) => settle('dataset' in reply ? reply.dataset : undefined)
    worker.on('error', failed)
    worker.on('exit', failed)
    port.on('message', onMessage)
    // The reply keeps the process alive until it comes, as the read would on this thread.
    port.ref()
  })
  let used = false
  const others = createWorkerMmdRunner(options)
  return {
    reference,
    runner: {
      start(referenceMatrix, batchMatrix, job) {
        if (used) return others.start(referenceMatrix, batchMatrix, job)
        used = true
        return sendMmdJob(spawned, referenceMatrix, batchMatrix, job)
      },
    },
    close() {
      if (used) return
      used = true
      void worker.terminate()
      port.close()
    },
  }
}
