import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { type FeatureMatrix, selectRows } from '../../src/data/matrix.js'
import {
  type ClassSpectra,
  measureClassSpectra,
  measureClassSpectraWith,
} from '../../src/detectors/class-spectra.js'
import { unpack } from '../../src/distributed/codec.js'
import {
  openCoordinator,
  openScanStore,
  scanFileOnWorkers,
  summariseJobs,
} from '../../src/distributed/index.js'
import { scanQueueName } from '../../src/distributed/jobs.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanFile } from '../../src/workflows/scan-file.js'
import { mnistDataset, pooledMnist } from '../fixtures/datasets.js'
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
 * processes: each job is sent its class's row numbers and reads the rows from the geometry. One worker is killed
 * with SIGKILL while it holds a class job, which another worker then runs. The report must be the one a single
 * process writes, record for record.
 */

/** Every array of every class's spectrum as bytes, so equal means equal to the bit. */
function bits(spectra: ClassSpectra) {
  return spectra.classes.map(
    (spectrum) =>
      spectrum &&
      [
        spectrum.rows,
        spectrum.relativeVariances,
        spectrum.directions,
        spectrum.coordinates,
        spectrum.mean,
      ].map((values) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64')),
  )
}

const suite = 'per-class jobs of a distributed scan over PostgreSQL and Redis'
const skip = skipReason('postgres+redis', suite)
const temporary = useTemporaryFolder()

describe.skipIf(skip)(suite, () => {
  const { schema, prefix, storeUrl, startWorkers } = useScanWorkers('classes')

  it('measures each class on the workers from its row numbers and gives the single-process report, one worker killed mid-class', async () => {
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

  it('sends each class its row numbers, or its range when consecutive, once the neighbour jobs stored the geometry', async () => {
    const digits = pooledMnist()
    // Digits 0–4 first, each a run of consecutive rows; the other five interleaved as they come in the file.
    const order = Array.from({ length: 3000 }, (_, row) => row)
    const code = (row: number) => Number(digits.labels[row])
    const sorted = [
      ...order.filter((row) => code(row) < 5).sort((a, b) => code(a) - code(b) || a - b),
      ...order.filter((row) => code(row) >= 5),
    ]
    const features: FeatureMatrix = selectRows(digits.features, Int32Array.from(sorted))
    const codes = Int32Array.from(sorted, code)
    const byFirstRow = (a: number[], b: number[]) => a[0] - b[0]
    const interleaved = Array.from({ length: 5 }, (_, digit) =>
      Array.from(codes.keys()).filter((row) => codes[row] === digit + 5),
    ).sort(byFirstRow)
    expect(interleaved.every((rows) => rows.at(-1)! - rows[0] + 1 > rows.length)).toBe(true)

    await startWorkers(2)
    const coordinator = await openCoordinator({
      workers: REDIS_URL,
      store: storeUrl,
      prefix,
      pollMs: 50,
      minimumPairs: 1,
    })
    const local = await createDefaultBackend()
    const store = await openScanStore(storeUrl)
    try {
      const digests = async () =>
        new Set(
          (await queryPostgres<{ digest: string }>(`select digest from ${schema}.scan_blobs`)).map(
            (blob) => blob.digest,
          ),
        )
      // A neighbour job for a few rows stores the geometry, as a scan's neighbour search does before the spectra.
      const queries = selectRows(features, [0, 1, 2, 3])
      await coordinator.backend(local).knn(features, queries, 5, { metric: 'euclidean' })
      const geometry = await digests()
      const spectra = await measureClassSpectraWith(features, codes, 10, coordinator.classSpectra)
      expect(bits(spectra)).toEqual(bits(measureClassSpectra(features, codes, 10)))

      // What the class jobs stored besides the geometry: the row numbers of each interleaved digit, and one
      // scatter of all classes for the second steps (each reads its class's own from the first step's result);
      // none of the rows themselves, and no matrix a class.
      const added = [...(await digests())].filter((digest) => !geometry.has(digest))
      const arrays = await Promise.all(
        added.map(async (digest) => unpack(await store.getBlob(digest)).arrays),
      )
      const rowNumbers = arrays.filter((stored) => stored.rows).map((stored) => Array.from(stored.rows))
      expect(rowNumbers.sort(byFirstRow)).toEqual(interleaved)
      const given = arrays.filter((stored) => !stored.rows)
      expect(given.map((stored) => Object.keys(stored))).toEqual([['scatter']])
      expect(given[0].scatter).toHaveLength(features.cols * features.cols)
      expect((await coordinator.jobs()).filter((job) => job.kind === 'class')).toHaveLength(20)
    } finally {
      await store.close()
      await local.dispose()
      await coordinator.close()
    }
  })
})
