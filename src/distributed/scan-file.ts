import { createDefaultBackend } from '../linalg/default-backend.js'
import { type ScanFileOptions, type ScanFileResult, scanFile } from '../workflows/scan-file.js'
import { type DistributedOptions, openCoordinator } from './coordinator.js'
import type { ReapedRun, ScanJobRecord } from './scan-store.js'

export interface JobCounts {
  readonly features: number
  readonly knn: number
  readonly ivf: number
  readonly fold: number
  readonly class: number
  readonly detector: number
}

/** How the jobs of a distributed scan were shared out. */
export interface JobSplit {
  readonly jobs: number
  /** Jobs started more than once: their worker was lost (or failed) and another took them over. */
  readonly retried: number
  /**
   * Jobs each worker finished, by kind: feature blocks, exact neighbour blocks, runs of inverted lists, model folds,
   * steps of one class's spectrum, detectors.
   */
  readonly byWorker: Readonly<Record<string, JobCounts>>
}

const kinds: readonly (keyof JobCounts)[] = ['features', 'knn', 'ivf', 'fold', 'class', 'detector']

/** Counts who finished what. */
export function summariseJobs(jobs: readonly ScanJobRecord[]): JobSplit {
  const byWorker: Record<string, Record<keyof JobCounts, number>> = {}
  for (const job of jobs) {
    if (job.state !== 'done' || !job.worker) continue
    byWorker[job.worker] ??= { features: 0, knn: 0, ivf: 0, fold: 0, class: 0, detector: 0 }
    byWorker[job.worker][kinds.find((kind) => kind === job.kind) ?? 'knn']++
  }
  return { jobs: jobs.length, retried: jobs.filter((job) => job.attempts > 1).length, byWorker }
}

export type DistributedScanResult = ScanFileResult & {
  /** Every job of the scan as the store recorded it. */
  readonly jobs: readonly ScanJobRecord[]
  /** Runs of coordinators that stopped renewing their lease, removed before this scan started. */
  readonly reaped: readonly ReapedRun[]
}

/**
 * `scanFile` with its heavy work run by `poisonguard worker` processes: the texts' term counts, in blocks of rows
 * (above a size threshold), the neighbour searches, in blocks of query
 * rows against the whole (content-addressed) matrix or, when approximate, in runs of inverted lists, the
 * cross-validation folds, one job each, with `distributed.classJobs` the class spectra's steps, one job per class and
 * step, each sent that class's rows alone, and with `distributed.detectorJobs` the built-in detectors, one job each, the
 * shared analyses they read answered by this process through the store. Workers compute exactly what this process would, so the report is the
 * one a single process gives; the rest of the scan (loading, the features' fits and other steps, the analyses' small steps, detectors
 * registered at run time, fusion) runs here. `onWaiting` hears when no worker listens yet.
 */
export async function scanFileOnWorkers(
  path: string,
  options: ScanFileOptions & { distributed: DistributedOptions; onWaiting?: (message: string) => void },
): Promise<DistributedScanResult> {
  const { distributed, onWaiting, ...scanOptions } = options
  const coordinator = await openCoordinator({ signal: scanOptions.signal, ...distributed })
  const local = scanOptions.backend ?? (await createDefaultBackend())
  try {
    if ((await coordinator.workerCount()) === 0)
      onWaiting?.(
        'no worker listens on the queue yet; the scan waits for one (start `poisonguard worker --queue … --scan-store …`)',
      )
    const result = await scanFile(path, {
      ...scanOptions,
      backend: coordinator.backend(local),
      executor: coordinator.executor,
      countTexts: coordinator.countTexts,
      detectorExecutor: distributed.detectorJobs ? coordinator.detectors : undefined,
      classSpectra: distributed.classJobs ? coordinator.classSpectra : undefined,
    })
    return { ...result, jobs: await coordinator.jobs(), reaped: coordinator.reaped }
  } finally {
    await coordinator.close()
    if (!scanOptions.backend) await local.dispose()
  }
}
