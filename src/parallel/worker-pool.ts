import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { type FoldExecutor, type FoldTask, fitFold } from '../models/cross-validation.js'
import { throwIfAborted } from '../util/abort.js'

export interface WorkerFoldExecutorOptions {
  /** Worker threads at most; default the parallelism this machine offers (the folds cap it too). */
  threads?: number
  /** The worker's entry module; default the compiled `fold-worker.js` beside this file. */
  workerUrl?: URL
}

/**
 * A fold executor on worker threads, which start when it is created; `close` ends them (folds asked for afterwards
 * run on the calling thread).
 */
export interface WorkerFoldExecutor extends FoldExecutor {
  close(): Promise<void>
}

type Shareable = Float32Array | Int32Array

/** Workers started with the executor: as many as the folds of a default cross-validation. */
const defaultFoldCount = 5

/** Copies an array into shared memory once, so every worker reads the same bytes without a copy of its own. */
function shared<T extends Shareable>(array: T, copies: Map<Shareable, Shareable>): T {
  if (array.buffer instanceof SharedArrayBuffer) return array
  let copy = copies.get(array)
  if (!copy) {
    const buffer = new SharedArrayBuffer(array.byteLength)
    copy = array instanceof Float32Array ? new Float32Array(buffer) : new Int32Array(buffer)
    copy.set(array)
    copies.set(array, copy)
  }
  return copy as T
}

function sharedMatrix(
  x: FeatureMatrix | SparseMatrix,
  copies: Map<Shareable, Shareable>,
): FeatureMatrix | SparseMatrix {
  if ('indptr' in x) {
    const { rows, cols } = x
    return {
      rows,
      cols,
      indptr: shared(x.indptr, copies),
      indices: shared(x.indices, copies),
      values: shared(x.values, copies),
    }
  }
  return { rows: x.rows, cols: x.cols, data: shared(x.data, copies) }
}

interface Reply {
  readonly id: number
  readonly probabilities?: Float32Array
  readonly failed?: boolean
}

/**
 * Runs cross-validation folds on worker threads, the training data in shared memory. Each fold trains from its
 * own seed, so the probabilities equal those of `sequentialFoldExecutor`; a worker that cannot start or fails
 * hands its fold back to the calling thread.
 */
export function createWorkerFoldExecutor(options: WorkerFoldExecutorOptions = {}): WorkerFoldExecutor {
  const threads = options.threads ?? availableParallelism()
  const workerUrl = options.workerUrl ?? new URL('./fold-worker.js', import.meta.url)
  const workers: Worker[] = []
  let closed = false
  // Message ids are unique across calls, so two scans sharing the executor never take each other's replies.
  let messages = 0
  const spawn = () => {
    const worker = new Worker(workerUrl)
    // Idle workers must not keep the process alive; `runOn` holds a reference while a fold is out.
    worker.unref()
    const retire = () => workers.includes(worker) && workers.splice(workers.indexOf(worker), 1)
    worker.on('error', retire)
    worker.on('exit', retire)
    workers.push(worker)
  }
  // Started now, so they load their code while the caller reads its data (a scan's default is five folds).
  while (workers.length < Math.min(threads, defaultFoldCount)) spawn()

  const runOn = (worker: Worker, id: number, task: FoldTask) =>
    new Promise<Float32Array | undefined>((resolve) => {
      const settle = (probabilities: Float32Array | undefined) => {
        worker.off('message', onMessage)
        worker.off('error', onError)
        worker.off('exit', onError)
        worker.unref()
        resolve(probabilities)
      }
      const onMessage = (reply: Reply) => {
        if (reply.id === id) settle(reply.probabilities)
      }
      const onError = () => settle(undefined)
      worker.on('message', onMessage)
      worker.on('error', onError)
      worker.on('exit', onError)
      worker.ref()
      worker.postMessage({ id, task })
    })

  return {
    async fitFolds(tasks, { onFoldDone, signal } = {}) {
      const wanted = Math.min(threads, tasks.length)
      while (!closed && workers.length < wanted) spawn()
      const copies = new Map<Shareable, Shareable>()
      const results: Float32Array[] = new Array(tasks.length)
      let next = 0
      // Each lane takes the next fold when its last one is done, so a slow fold does not hold the others up.
      const lane = async (worker: Worker | undefined) => {
        while (next < tasks.length) {
          throwIfAborted(signal, 'cross-validation')
          const index = next++
          const task = tasks[index]
          const remote =
            worker && workers.includes(worker)
              ? await runOn(worker, messages++, {
                  ...task,
                  x: sharedMatrix(task.x, copies),
                  labels: shared(task.labels, copies),
                })
              : undefined
          results[index] = remote ?? fitFold(task)
          onFoldDone?.()
        }
      }
      await Promise.all(workers.length > 0 ? workers.slice(0, wanted).map(lane) : [lane(undefined)])
      return results
    },
    async close() {
      closed = true
      await Promise.all(workers.splice(0).map((worker) => worker.terminate()))
    },
  }
}
