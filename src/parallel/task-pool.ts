import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { sharedCopyOf } from '../data/shared-memory.js'
import { throwIfAborted } from '../util/abort.js'
import { workerEntryExists } from './prestart.js'

/**
 * Independent tasks run on worker threads, which start when the pool is created; `close` ends them (tasks asked
 * for afterwards run on the calling thread).
 */
export interface TaskPool<Task, Result> {
  /**
   * Each task's result, in task order and equal to running it on this thread; `onTaskDone` is called as each
   * finishes, and an aborted `signal` rejects with the typed `ABORTED` error naming `what`.
   */
  runAll(
    tasks: readonly Task[],
    options: { what: string; onTaskDone?: () => void; signal?: AbortSignal },
  ): Promise<Result[]>
  close(): Promise<void>
}

export interface TaskPoolOptions<Task, Result> {
  /** Worker threads at most; default the parallelism this machine offers (the tasks cap it too). */
  threads?: number
  /** The worker's entry module, which answers with `serveTasks`. */
  workerUrl: URL
  /** Workers started with the pool, so they load their code while the caller reads its data. */
  eagerWorkers: number
  /** The task as sent to a worker: its big arrays in shared memory (see `sharedMatrix`). */
  share(task: Task, copies: SharedCopies): Task
  /** Runs a task on the calling thread: when no worker is available, or the worker failed it. */
  runLocally(task: Task): Result
}

type Shareable = Float32Array | Int32Array
/** Arrays already copied to shared memory during one `runAll`, so each is copied once. */
export type SharedCopies = Map<Shareable, Shareable>

/** Copies an array into shared memory once, so every worker reads the same bytes without a copy of its own. */
export function shared<T extends Shareable>(array: T, copies: SharedCopies): T {
  if (array.buffer instanceof SharedArrayBuffer) return array
  let copy = copies.get(array) ?? sharedCopyOf(array)
  if (!copy) {
    const buffer = new SharedArrayBuffer(array.byteLength)
    copy = array instanceof Float32Array ? new Float32Array(buffer) : new Int32Array(buffer)
    copy.set(array)
    copies.set(array, copy)
  }
  return copy as T
}

/** A dense or sparse matrix whose arrays live in shared memory. */
export function sharedMatrix<M extends FeatureMatrix | SparseMatrix>(x: M, copies: SharedCopies): M {
  if ('indptr' in x) {
    const { rows, cols } = x
    return {
      rows,
      cols,
      indptr: shared(x.indptr, copies),
      indices: shared(x.indices, copies),
      values: shared(x.values, copies),
    } as M
  }
  return { rows: x.rows, cols: x.cols, data: shared(x.data, copies) } as M
}

interface Reply {
  readonly id: number
  readonly result?: unknown
  readonly failed?: boolean
}

/**
 * Runs tasks on worker threads; a worker that cannot start or fails a task hands that task back to the calling
 * thread, where a typed error surfaces unchanged.
 */
export function createTaskPool<Task, Result>(options: TaskPoolOptions<Task, Result>): TaskPool<Task, Result> {
  const threads = workerEntryExists(options.workerUrl) ? (options.threads ?? availableParallelism()) : 0
  const workers: Worker[] = []
  let closed = false
  // Message ids are unique across calls, so two callers sharing the pool never take each other's replies.
  let messages = 0
  const spawn = () => {
    const worker = new Worker(options.workerUrl)
    // Idle workers must not keep the process alive; `runOn` holds a reference while a task is out.
    worker.unref()
    const retire = () => workers.includes(worker) && workers.splice(workers.indexOf(worker), 1)
    worker.on('error', retire)
    worker.on('exit', retire)
    workers.push(worker)
  }
  while (workers.length < Math.min(threads, options.eagerWorkers)) spawn()

  const runOn = (worker: Worker, id: number, task: Task) =>
    new Promise<Result | undefined>((resolve) => {
      const settle = (result: Result | undefined) => {
        worker.off('message', onMessage)
        worker.off('error', onError)
        worker.off('exit', onError)
        worker.unref()
        resolve(result)
      }
      const onMessage = (reply: Reply) => {
        if (reply.id === id) settle(reply.failed ? undefined : (reply.result as Result))
      }
      const onError = () => settle(undefined)
      worker.on('message', onMessage)
      worker.on('error', onError)
      worker.on('exit', onError)
      worker.ref()
      worker.postMessage({ id, task })
    })

  return {
    async runAll(tasks, { what, onTaskDone, signal }) {
      const wanted = Math.min(threads, tasks.length)
      while (!closed && workers.length < wanted) spawn()
      const copies: SharedCopies = new Map()
      const results: Result[] = new Array(tasks.length)
      let next = 0
      // Each lane takes the next task when its last one is done, so a slow task does not hold the others up.
      const lane = async (worker: Worker | undefined) => {
        while (next < tasks.length) {
          throwIfAborted(signal, what)
          const index = next++
          const task = tasks[index]
          const remote =
            worker && workers.includes(worker)
              ? await runOn(worker, messages++, options.share(task, copies))
              : undefined
          results[index] = remote ?? options.runLocally(task)
          onTaskDone?.()
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
