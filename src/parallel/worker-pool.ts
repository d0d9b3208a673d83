import { type FoldExecutor, type FoldTask, fitFold } from '../models/cross-validation.js'
import { createTaskPool, shared, sharedMatrix } from './task-pool.js'

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

/** Workers started with the executor: as many as the folds of a default cross-validation. */
const defaultFoldCount = 5

/**
 * Runs cross-validation folds on worker threads, the training data in shared memory. Each fold trains from its
 * own seed, so the probabilities equal those of `sequentialFoldExecutor`; a worker that cannot start or fails
 * hands its fold back to the calling thread.
 */
export function createWorkerFoldExecutor(options: WorkerFoldExecutorOptions = {}): WorkerFoldExecutor {
  const pool = createTaskPool<FoldTask, Float32Array>({
    threads: options.threads,
    workerUrl: options.workerUrl ?? new URL('./fold-worker.js', import.meta.url),
    eagerWorkers: defaultFoldCount,
    share: (task, copies) => ({
      ...task,
      x: sharedMatrix(task.x, copies),
      labels: shared(task.labels, copies),
    }),
    runLocally: fitFold,
  })
  return {
    fitFolds: (tasks, { onFoldDone, signal } = {}) =>
      pool.runAll(tasks, { what: 'cross-validation', onTaskDone: onFoldDone, signal }),
    close: () => pool.close(),
  }
}
