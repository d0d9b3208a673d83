import {
  fitMember,
  type MemberExecutor,
  type MemberTask,
  type PredictionTask,
  runPrediction,
} from '../robust/ensemble.js'
import type { MemberModel } from '../robust/learners.js'
import { createTaskPool, shared, sharedMatrix } from './task-pool.js'

/** A task of the member worker: train a member, or predict with one. */
export type MemberWorkerTask =
  | { readonly fit: MemberTask; readonly predict?: undefined }
  | { readonly predict: PredictionTask; readonly fit?: undefined }

/** What the member worker answers: the trained member, or one member's predictions. */
export type MemberWorkerResult = MemberModel | Int32Array

/** Runs one member task on this thread. */
export function runMemberTask(task: MemberWorkerTask): MemberWorkerResult {
  return task.fit ? fitMember(task.fit) : runPrediction(task.predict)
}

export interface WorkerMemberExecutor extends MemberExecutor {
  close(): Promise<void>
}

/**
 * Trains and runs ensemble members on worker threads (both cores of a small machine), the training data in shared
 * memory; each member trains from its own seed, so the ensemble equals `sequentialMemberExecutor`'s.
 */
export function createWorkerMemberExecutor(
  options: { threads?: number; workerUrl?: URL } = {},
): WorkerMemberExecutor {
  const pool = createTaskPool<MemberWorkerTask, MemberWorkerResult>({
    threads: options.threads,
    workerUrl: options.workerUrl ?? new URL('./member-worker.js', import.meta.url),
    eagerWorkers: options.threads ?? 2,
    share: (task, copies) =>
      task.fit
        ? {
            fit: {
              ...task.fit,
              x: sharedMatrix(task.fit.x, copies),
              labels: shared(task.fit.labels, copies),
            },
          }
        : { predict: { ...task.predict, x: sharedMatrix(task.predict.x, copies) } },
    runLocally: runMemberTask,
  })
  return {
    async fitMembers(tasks, options = {}) {
      const results = await pool.runAll(
        tasks.map((fit) => ({ fit })),
        { what: 'ensemble training', ...options },
      )
      return results as MemberModel[]
    },
    async predictMembers(tasks, options = {}) {
      const results = await pool.runAll(
        tasks.map((predict) => ({ predict })),
        { what: 'ensemble prediction', ...options },
      )
      return results as Int32Array[]
    },
    close: () => pool.close(),
  }
}
