import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads'
import type { FeatureMatrix } from '../data/matrix.js'
import { type MmdJob, type MmdResult, type MmdRunner, mmdTest } from '../drift/mmd.js'
import { createRng } from '../util/rng.js'
import { type SharedCopies, sharedMatrix } from './task-pool.js'

/** What `mmd-worker` is sent: the matrices in shared memory, a flag it raises when its answer is posted. */
export interface MmdWorkerData {
  reference: FeatureMatrix
  batch: FeatureMatrix
  job: MmdJob
  done: Int32Array
  port: MessagePort
}

/** What `mmd-worker` posts back. */
export type MmdWorkerReply = { result: MmdResult } | { failed: true }

/** How long a starting worker may take before the calling thread runs the test itself. */
const startAllowanceMs = 30_000

function runHere(reference: FeatureMatrix, batch: FeatureMatrix, job: MmdJob): MmdResult {
  return mmdTest(reference, batch, { ...job, rng: createRng(job.seed) })
}

/**
 * Runs each MMD test on a worker thread of its own while the calling thread goes on with the per-column tests; the
 * result is waited for synchronously (the check is synchronous), so the worker answers through a shared flag and a
 * message port read without the event loop. With one core, or without the compiled worker (tests run from
 * source), or when the worker fails, the test runs on the calling thread, with the same result.
 */
export function createWorkerMmdRunner(options: { workerUrl?: URL; threads?: number } = {}): MmdRunner {
  const workerUrl = options.workerUrl ?? new URL('./mmd-worker.js', import.meta.url)
  const usable = (options.threads ?? availableParallelism()) > 1 && existsSync(fileURLToPath(workerUrl))
  return {
    start(reference, batch, job) {
      if (!usable) return () => runHere(reference, batch, job)
      const copies: SharedCopies = new Map()
      // Slot 0 goes up when the answer is posted, slot 1 as soon as the worker runs.
      const done = new Int32Array(new SharedArrayBuffer(8))
      const { port1, port2 } = new MessageChannel()
      const workerData: MmdWorkerData = {
        reference: sharedMatrix(reference, copies),
        batch: sharedMatrix(batch, copies),
        job,
        done,
        port: port2,
      }
      let worker: Worker
      try {
        worker = new Worker(workerUrl, { workerData, transferList: [port2] })
      } catch {
        port1.close()
        return () => runHere(reference, batch, job)
      }
      worker.unref()
      return () => {
        // A worker that never starts (no memory for a new thread, say) would block the check forever; after the
        // start-up allowance the test runs here instead.
        Atomics.wait(done, 1, 0, startAllowanceMs)
        if (Atomics.load(done, 1) === 0 && Atomics.load(done, 0) === 0) {
          void worker.terminate()
          port1.close()
          return runHere(reference, batch, job)
        }
        Atomics.wait(done, 0, 0)
        const reply = receiveMessageOnPort(port1)?.message as MmdWorkerReply | undefined
        port1.close()
        return reply && 'result' in reply ? reply.result : runHere(reference, batch, job)
      }
    },
  }
}
