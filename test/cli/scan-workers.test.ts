import { describe, expect, it } from 'vitest'
import type { SparseMatrix } from '../../src/data/matrix.js'
import type { DetectorName } from '../../src/detectors/registry.js'
import { openCoordinator, scanFileOnWorkers, summariseJobs } from '../../src/distributed/index.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { prepareDetectorInput } from '../../src/scan/pipeline.js'
import { scanFile } from '../../src/workflows/scan-file.js'
import { mnistDataset, spamDataset } from '../fixtures/datasets.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { flipLabels, rankingOf } from '../fixtures/poison.js'
import { queryPostgres, REDIS_URL, skipReason } from '../service/harness.js'
import {
  comparableReport,
  expectRetriedElsewhere,
  killWorkerHoldingJob,
  settledFlag,
  useScanWorkers,
} from './scan-workers-harness.js'

/*
 * A distributed scan for real: three `poisonguard worker` processes take the neighbour and fold jobs from Redis and
 * write their results to PostgreSQL; one is killed with SIGKILL while it holds a job, which another worker then
 * finishes. The merged report must be the one a single process writes, record for record.
 */

const suite = 'distributed scan over PostgreSQL and Redis'
const skip = skipReason('postgres+redis', suite)
const temporary = useTemporaryFolder()

describe.skipIf(skip)(suite, () => {
  const { schema, prefix, storeUrl, startWorkers } = useScanWorkers('dist')

  it('gives the single-process report with three workers, one killed while it holds a job', async () => {
    const { dataset, flipped } = flipLabels(mnistDataset(2000), 0.05, 7)
    const path = temporary('digits.csv')
    await writeDataset(dataset, path, { format: 'csv' })
    // The detectors that read the distributed analyses (neighbours, out-of-fold probabilities); the others run on
    // the coordinator as in one process, and bench/distributed.mjs compares reports with all of them.
    const options = {
      seed: 3,
      detectors: [
        'label-issues',
        'knn-label-consistency',
        'near-duplicates',
        'outliers',
        'targeted-flip',
      ] as DetectorName[],
    }
    const single = await scanFile(path, options)
    if (single.status !== 'scanned') throw new Error('the single-process scan did not run')

    const workers = await startWorkers(3)
    const victim = workers[0]
    const distributed = scanFileOnWorkers(path, {
      ...options,
      // Small jobs, and every neighbour search split, so each worker gets several.
      distributed: { workers: REDIS_URL, store: storeUrl, prefix, jobRows: 100, minimumPairs: 1, pollMs: 50 },
    })
    const killed = await killWorkerHoldingJob(schema, [victim], settledFlag(distributed))
    // A victim that never held a job would make this test prove nothing about retries.
    expect(killed).toBeDefined()
    const result = await distributed
    if (result.status !== 'scanned') throw new Error('the distributed scan did not run')
    await expectRetriedElsewhere(result.jobs, killed!)
    const split = summariseJobs(result.jobs)
    const kinds = Object.values(split.byWorker).reduce(
      (sum, done) => ({
        knn: sum.knn + done.knn,
        fold: sum.fold + done.fold,
        detector: sum.detector + done.detector,
      }),
      { knn: 0, fold: 0, detector: 0 },
    )
    // Every job counted once: 20 neighbour blocks per search and 5 folds; the detectors stay here unless asked for
    // as jobs (scan-workers-detectors.test.ts).
    expect(kinds.fold).toBe(5)
    expect(kinds.knn % 20).toBe(0)
    expect(kinds.detector).toBe(0)
    expect(kinds.knn + kinds.fold + kinds.detector).toBe(result.jobs.length)
    expect(Object.keys(split.byWorker).length).toBeGreaterThanOrEqual(2)

    expect(comparableReport(result.report)).toEqual(comparableReport(single.report))
    // The reports compared find the planted flips, so they are not trivially equal.
    expect(rankingOf(result.report, flipped)).toBeGreaterThan(0.5)
    // The run's jobs, results and blobs are gone from the store once it ended.
    expect(await queryPostgres(`select job from ${schema}.scan_jobs`)).toEqual([])
    expect(await queryPostgres(`select digest from ${schema}.scan_blobs`)).toEqual([])
  })

  it("counts texts' terms on the workers, one killed while it holds a block: the features and report of one process", async () => {
    const { dataset, flipped } = flipLabels(spamDataset(600), 0.1, 4)
    const backend = createPortableBackend()
    const local = await prepareDetectorInput(dataset, { backend, seed: 2 })
    const workers = await startWorkers(2)
    const victim = workers[0]
    // Every count sent out, in blocks of a few dozen mails, so that each worker takes several.
    const distributed = { workers: REDIS_URL, store: storeUrl, prefix, pollMs: 50, minimumTextChars: 1 }
    const coordinator = await openCoordinator({ ...distributed, textJobChars: 100_000 })
    try {
      const counted = prepareDetectorInput(dataset, { backend, seed: 2, countTexts: coordinator.countTexts })
      const killed = await killWorkerHoldingJob(schema, [victim], settledFlag(counted), 'features')
      expect(killed).toBeDefined()
      const input = await counted
      const bytesOf = (array: Int32Array | Float32Array) =>
        Buffer.from(array.buffer, array.byteOffset, array.byteLength)
      const [mine, theirs] = [local.modelFeatures, input.modelFeatures] as SparseMatrix[]
      for (const name of ['indptr', 'indices', 'values'] as const)
        expect(bytesOf(theirs[name]).equals(bytesOf(mine[name]))).toBe(true)
      expect(bytesOf(input.features!.data).equals(bytesOf(local.features!.data))).toBe(true)
      const jobs = await coordinator.jobs()
      await expectRetriedElsewhere(jobs, killed!, 'features')
      // One job per block of about 100,000 characters, each done once.
      expect(jobs.length).toBeGreaterThan(5)
      expect(jobs.every((job) => job.state === 'done' && job.kind === 'features')).toBe(true)
    } finally {
      await coordinator.close()
    }

    const path = temporary('mails.csv')
    await writeDataset(dataset, path, { format: 'csv' })
    const options = { seed: 3, detectors: ['label-issues', 'near-duplicates'] as DetectorName[] }
    const single = await scanFile(path, options)
    const result = await scanFileOnWorkers(path, { ...options, distributed })
    if (single.status !== 'scanned' || result.status !== 'scanned') throw new Error('a scan did not run')
    const counts = Object.values(summariseJobs(result.jobs).byWorker).map((done) => done.features)
    expect(counts.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0)
    expect(comparableReport(result.report)).toEqual(comparableReport(single.report))
    expect(rankingOf(result.report, flipped)).toBeGreaterThan(0.5)
  })
})
