import { openScanQueues } from './queue.js'
import { openScanStore, type ReapedRun, type ScanStore } from './scan-store.js'

/** The part of a BullMQ queue removal needs; named here so the package's types do not require bullmq's. */
interface RemovableJobs {
  remove(jobId: string): Promise<unknown>
}

/**
 * Removes the runs on this queue whose coordinator stopped renewing its lease (killed outright, cut off): their jobs
 * come off the queues (`queues`: the analysis jobs' and the detector jobs'), their rows and unused blobs out of the
 * store. A job a worker holds at that moment cannot be removed from its queue; its worker finds the job gone from
 * the store and drops its result.
 */
export function reapAbandonedRuns(
  store: ScanStore,
  queues: readonly RemovableJobs[],
  queuePrefix: string,
): Promise<ReapedRun[]> {
  return store.reapExpiredRuns(queuePrefix, async (jobs) => {
    for (const id of jobs) for (const queue of queues) await queue.remove(id)
  })
}

/** Where abandoned runs are looked for: the queue and store a coordinator and its workers share. */
export interface CleanOptions {
  queue: string
  store: string
  schema?: string
  /** BullMQ key prefix; default `poisonguard`. */
  prefix?: string
}

/** Connects, removes the abandoned runs once (`poisonguard worker --clean`) and disconnects. */
export async function cleanAbandonedRuns(options: CleanOptions): Promise<ReapedRun[]> {
  const prefix = options.prefix ?? 'poisonguard'
  const store = await openScanStore(options.store, { schema: options.schema })
  try {
    const queues = await openScanQueues(options.queue, prefix)
    try {
      return await reapAbandonedRuns(store, queues, prefix)
    } finally {
      for (const queue of queues) await queue.close()
    }
  } finally {
    await store.close()
  }
}

/** One line for a terminal: which abandoned runs were removed. */
export function describeReaped(runs: readonly ReapedRun[]): string {
  const jobs = runs.reduce((sum, run) => sum + run.jobs, 0)
  const owners = [...new Set(runs.map((run) => run.owner))].join(', ')
  return `removed ${runs.length} abandoned scan run${runs.length === 1 ? '' : 's'} (${jobs} jobs) whose coordinator stopped renewing its lease: ${owners}`
}
