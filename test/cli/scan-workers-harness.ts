import { hostname } from 'node:os'
import { afterAll, beforeAll, expect } from 'vitest'
import type { ScanJobRecord } from '../../src/distributed/index.js'
import type { ScanReport } from '../../src/domain/index.js'
import { dropQueue, dropSchema, isolatedScanStore, queryPostgres, REDIS_URL } from '../service/harness.js'
import { type SpawnedCli, spawnListeningWorker } from './spawn-cli.js'

/** The report without what is allowed to differ between two runs: durations and the time it was made. */
export function comparableReport(report: ScanReport) {
  return {
    ...report,
    createdAt: undefined,
    detectors: report.detectors.map((detector) => ({ ...detector, durationMs: undefined })),
  }
}

/**
 * A scan store and queue of one test file's own, and `poisonguard worker` processes on them that end with the file:
 * call inside its `describe`. Workers give up a silent job after two seconds, so a killed one's job moves on soon.
 */
export function useScanWorkers(name: string) {
  const store = isolatedScanStore(name)
  const workers: SpawnedCli[] = []

  beforeAll(async () => {
    await queryPostgres(`create schema if not exists ${store.schema}`)
  })

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGTERM')
    await Promise.all(workers.map((worker) => worker.exited))
    await dropSchema(store.schema)
    await dropQueue(store.prefix)
  })

  /** Starts `count` workers and resolves once each listens. */
  async function startWorkers(count: number): Promise<SpawnedCli[]> {
    const arguments_ = ['--queue', REDIS_URL, '--scan-store', store.storeUrl, '--queue-prefix', store.prefix]
    const started = await Promise.all(
      Array.from({ length: count }, () => spawnListeningWorker([...arguments_, '--job-lock', '2000'])),
    )
    workers.push(...started)
    return started
  }

  return { ...store, startWorkers }
}

/** Reads whether `promise` has settled, so a loop polling the store stops once the scan it waits on has ended. */
export function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false
  const settle = () => {
    settled = true
  }
  promise.then(settle, settle)
  return () => settled
}

/**
 * Kills with SIGKILL the first of `workers` seen holding a running job (of `kind`, where given), polling the store
 * until one does or the scan has `ended`; names the job and the worker killed.
 */
export async function killWorkerHoldingJob(
  schema: string,
  workers: readonly SpawnedCli[],
  ended: () => boolean,
  kind?: ScanJobRecord['kind'],
): Promise<{ job: string; worker: string; victim: SpawnedCli } | undefined> {
  const names = new Map(workers.map((worker) => [`${hostname()}/${worker.child.pid}`, worker]))
  const ofKind = kind === undefined ? '' : ` and kind = '${kind}'`
  while (!ended()) {
    const running = await queryPostgres<{ job: string; worker: string }>(
      `select job, worker from ${schema}.scan_jobs where state = 'running'${ofKind}`,
    )
    const held = running.find((row) => names.has(row.worker))
    if (held) {
      const victim = names.get(held.worker)!
      victim.child.kill('SIGKILL')
      return { ...held, victim }
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return undefined
}

/** The killed worker died of the signal, another finished its job on a later attempt, and every job finished. */
export async function expectRetriedElsewhere(
  jobs: readonly ScanJobRecord[],
  killed: { job: string; worker: string; victim: SpawnedCli },
  kind?: ScanJobRecord['kind'],
): Promise<void> {
  expect((await killed.victim.exited).signal).toBe('SIGKILL')
  const retried = jobs.find((job) => job.job === killed.job)
  expect(retried).toMatchObject(kind === undefined ? { state: 'done' } : { state: 'done', kind })
  expect(retried!.attempts).toBeGreaterThanOrEqual(2)
  expect(retried!.worker).not.toBe(killed.worker)
  expect(jobs.every((job) => job.state === 'done')).toBe(true)
}
