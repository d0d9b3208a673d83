import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { scanFileOnWorkers, summariseJobs } from '../../src/distributed/index.js'
import { scanQueueName } from '../../src/distributed/jobs.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import { scanFile } from '../../src/workflows/scan-file.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { plantPatchBackdoor, rankingOf } from '../fixtures/poison.js'
import { POSTGRES_URL, queryPostgres, REDIS_URL, skipReason } from '../service/harness.js'
import {
  comparableReport,
  expectRetriedElsewhere,
  killWorkerHoldingJob,
  settledFlag,
  useScanWorkers,
} from './scan-workers-harness.js'

/*
 * The class spectra of a distributed scan measured as jobs of one class each on three `poisonguard worker`
 * processes: each job is sent its class's rows alone. One worker is killed with SIGKILL while it holds a class job,
 * which another worker then runs. The report must be the one a single process writes, record for record.
 */

const suite = 'per-class jobs of a distributed scan over PostgreSQL and Redis'
const skip = skipReason('postgres+redis', suite)
const temporary = useTemporaryFolder()

describe.skipIf(skip)(suite, () => {
  const { schema, prefix, storeUrl, startWorkers } = useScanWorkers('classes')

  it('measures each class on the workers from its own rows and gives the single-process report, one worker killed mid-class', async () => {
    const { dataset, poisoned } = plantPatchBackdoor(mnistDataset(2000), { rate: 0.05, target: '0' })
    const path = temporary('digits.csv')
    await writeDataset(dataset, path, { format: 'csv' })
    // The detectors that read the class spectra; nothing else of the scan goes out as jobs.
    const options = { seed: 6, detectors: ['spectral-signature', 'activation-clustering'] as const }
    const single = await scanFile(path, { ...options, detectors: [...options.detectors] })
    if (single.status !== 'scanned') throw new Error('the single-process scan did not run')

    const workers = await startWorkers(3)
    // Held back until the first step's jobs are queued, and then kept from reading their rows until one of them
    // is held by a worker: a class's step takes a millisecond, far too short to catch otherwise.
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
    const queue = new Queue(scanQueueName, { connection, prefix })
    const blocker = new pg.Client({ connectionString: POSTGRES_URL })
    await blocker.connect()
    try {
      await queue.pause()
      const distributed = scanFileOnWorkers(path, {
        ...options,
        detectors: [...options.detectors],
        distributed: { workers: REDIS_URL, store: storeUrl, prefix, pollMs: 50, classJobs: true },
      })
      const ended = settledFlag(distributed)
      const classJobsQueued = async () =>
        (await queryPostgres(`select job from ${schema}.scan_jobs where kind = 'class'`)).length > 0
      while (!ended() && !(await classJobsQueued())) await new Promise((resolve) => setTimeout(resolve, 20))
      await blocker.query('begin')
      await blocker.query(`lock table ${schema}.scan_blob_parts in access exclusive mode`)
      await queue.resume()
      const killed = await killWorkerHoldingJob(schema, workers, ended, 'class')
      await blocker.query('commit')
      expect(killed).toBeDefined()
      const result = await distributed
      if (result.status !== 'scanned') throw new Error('the distributed scan did not run')
      await expectRetriedElsewhere(result.jobs, killed!, 'class')

      // Two steps of every class (ten digits, each large enough to measure), each finished once, the only jobs of
      // the scan, on at least two workers.
      expect(result.jobs).toHaveLength(20)
      expect(result.jobs.every((job) => job.kind === 'class')).toBe(true)
      const byWorker = Object.values(summariseJobs(result.jobs).byWorker).map((done) => done.class)
      expect(byWorker.reduce((sum, count) => sum + count, 0)).toBe(20)
      expect(byWorker.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2)

      expect(comparableReport(result.report)).toEqual(comparableReport(single.report))
      // The reports compared find the planted patch, so they are not trivially equal.
      expect(rankingOf(result.report, poisoned)).toBeGreaterThan(0.5)
      expect(await queryPostgres(`select job from ${schema}.scan_jobs`)).toEqual([])
      expect(await queryPostgres(`select digest from ${schema}.scan_blobs`)).toEqual([])
    } finally {
      await blocker.end()
      await queue.close()
      connection.disconnect()
    }
  })
})
