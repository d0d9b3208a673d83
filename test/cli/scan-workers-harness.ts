import { afterAll, beforeAll } from 'vitest'
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
