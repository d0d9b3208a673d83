import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../../src/data/matrix.js'
import type { DetectorName } from '../../src/detectors/registry.js'
import { openCoordinator, scanFileOnWorkers, summariseJobs } from '../../src/distributed/index.js'
import type { ScanReport } from '../../src/domain/index.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import { searchNeighbourGraph } from '../../src/linalg/ann/search.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanFile } from '../../src/workflows/scan-file.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { flipLabels, rankingOf } from '../fixtures/poison.js'
import {
  dropQueue,
  dropSchema,
  isolatedScanStore,
  queryPostgres,
  REDIS_URL,
  skipReason,
} from '../service/harness.js'
import { type SpawnedCli, spawnListeningWorker } from './spawn-cli.js'

/*
 * The approximate neighbour search with its inverted lists searched by two `poisonguard worker` processes, a run of
 * lists per job: the graph must be the one a single process finds, candidate for candidate and distance for
 * distance, and so must the report built on it. Every search is sent to the workers, however small, so the
 * k-means rounds and the probe tuning run as jobs too.
 */

const suite = 'approximate neighbours on workers over PostgreSQL and Redis'
const skip = skipReason('postgres+redis', suite)
const temporary = useTemporaryFolder()
const { schema, prefix, storeUrl } = isolatedScanStore('ivf')
const distributed = { workers: REDIS_URL, store: storeUrl, prefix, minimumPairs: 1, pollMs: 50 }

function startWorker(): Promise<SpawnedCli> {
  return spawnListeningWorker(['--queue', REDIS_URL, '--scan-store', storeUrl, '--queue-prefix', prefix])
}

function comparable(report: ScanReport) {
  return {
    ...report,
    createdAt: undefined,
    detectors: report.detectors.map((detector) => ({ ...detector, durationMs: undefined })),
  }
}

describe.skipIf(skip)(suite, () => {
  const workers: SpawnedCli[] = []
  let local: LinalgBackend

  beforeAll(async () => {
    await queryPostgres(`create schema if not exists ${schema}`)
    local = await createDefaultBackend()
    workers.push(...(await Promise.all([startWorker(), startWorker()])))
  })

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGTERM')
    await Promise.all(workers.map((worker) => worker.exited))
    await local?.dispose()
    await dropSchema(schema)
    await dropQueue(prefix)
  })

  it('finds the single-process graph with its lists searched as jobs on both workers', async () => {
    const digits = mnistDataset(1500).features!
    const matrix: FeatureMatrix = { data: digits.data, rows: digits.rows, cols: digits.cols }
    const coordinator = await openCoordinator(distributed)
    try {
      for (const metric of ['euclidean', 'cosine'] as const) {
        const search = { method: 'approximate', seed: 5 } as const
        const alone = await searchNeighbourGraph(local, matrix, 10, metric, search)
        const shared = await searchNeighbourGraph(coordinator.backend(local), matrix, 10, metric, search)
        expect(shared.summary).toEqual(alone.summary)
        expect(shared.summary.method).toBe('ivf')
        expect(shared.graph.indices).toEqual(alone.graph.indices)
        expect(shared.graph.distances).toEqual(alone.graph.distances)
      }
      const jobs = await coordinator.jobs()
      expect(jobs.every((job) => job.state === 'done')).toBe(true)
      const split = summariseJobs(jobs)
      const listJobs = Object.values(split.byWorker).map((done) => done.ivf)
      // Two searches of about 24 runs of lists each, every one done once, by both workers.
      expect(listJobs.reduce((sum, count) => sum + count, 0)).toBe(
        jobs.filter((job) => job.kind === 'ivf').length,
      )
      expect(listJobs.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(40)
      expect(listJobs.filter((count) => count > 0)).toHaveLength(2)
    } finally {
      await coordinator.close()
    }
  })

  it('gives the single-process report of an approximate scan', async () => {
    const { dataset, flipped } = flipLabels(mnistDataset(1500), 0.05, 11)
    const path = temporary('digits.csv')
    await writeDataset(dataset, path, { format: 'csv' })
    const options = {
      seed: 2,
      detectors: ['knn-label-consistency', 'near-duplicates', 'outliers'] as DetectorName[],
      neighbourSearch: { method: 'approximate' as const },
    }
    const single = await scanFile(path, options)
    if (single.status !== 'scanned') throw new Error('the single-process scan did not run')
    const result = await scanFileOnWorkers(path, { ...options, distributed })
    if (result.status !== 'scanned') throw new Error('the distributed scan did not run')

    expect(result.report.analyses?.neighbours?.method).toBe('ivf')
    expect(result.jobs.some((job) => job.kind === 'ivf')).toBe(true)
    expect(comparable(result.report)).toEqual(comparable(single.report))
    // The reports compared find the planted flips, so they are not trivially equal.
    expect(rankingOf(result.report, flipped)).toBeGreaterThan(0.5)
  })
})
