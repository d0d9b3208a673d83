import { describe, expect, it } from 'vitest'
import { scanFileOnWorkers, summariseJobs } from '../../src/distributed/index.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import { scanFile } from '../../src/workflows/scan-file.js'
import { mnistDataset } from '../fixtures/datasets.js'
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
 * The detectors of a distributed scan run as jobs on three `poisonguard worker` processes, each rebuilding the
 * detector input from the store and asking the coordinator for the shared analyses it reads. One worker is killed
 * with SIGKILL while it holds a detector job, which another worker then runs. The merged report must be the one a
 * single process writes, record for record.
 */

const suite = 'detectors as jobs of a distributed scan over PostgreSQL and Redis'
const skip = skipReason('postgres+redis', suite)
const temporary = useTemporaryFolder()

describe.skipIf(skip)(suite, () => {
  const { schema, prefix, storeUrl, startWorkers } = useScanWorkers('djobs')

  it('runs every built-in detector on the workers and gives the single-process report, one worker killed mid-detector', async () => {
    const { dataset, flipped } = flipLabels(mnistDataset(2000), 0.05, 5)
    const path = temporary('digits.csv')
    await writeDataset(dataset, path, { format: 'csv' })
    // The default detectors: some await the graph, the model's probabilities or the class spectra, others ask for
    // them as they go (outliers, trigger-mining) or ask for more than they await (targeted-flip).
    const options = { seed: 4 }
    const single = await scanFile(path, options)
    if (single.status !== 'scanned') throw new Error('the single-process scan did not run')

    const workers = await startWorkers(3)
    const distributed = scanFileOnWorkers(path, {
      ...options,
      distributed: {
        workers: REDIS_URL,
        store: storeUrl,
        prefix,
        jobRows: 200,
        minimumPairs: 1,
        pollMs: 50,
        detectorJobs: true,
      },
    })
    const ended = settledFlag(distributed)
    // Whichever worker first holds a detector job is killed while it holds it.
    const killed = await killWorkerHoldingJob(schema, workers, ended, 'detector')
    expect(killed).toBeDefined()
    const result = await distributed
    if (result.status !== 'scanned') throw new Error('the distributed scan did not run')
    await expectRetriedElsewhere(result.jobs, killed!, 'detector')

    // One job per detector that ran, each finished once, on at least two workers.
    const ran = result.report.detectors.filter((detector) => detector.status === 'ok')
    expect(ran.length).toBeGreaterThanOrEqual(8)
    const detectorJobs = result.jobs.filter((job) => job.kind === 'detector')
    expect(detectorJobs).toHaveLength(ran.length)
    const split = summariseJobs(result.jobs)
    const byWorker = Object.values(split.byWorker).map((done) => done.detector)
    expect(byWorker.reduce((sum, count) => sum + count, 0)).toBe(ran.length)
    expect(byWorker.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2)

    expect(comparableReport(result.report)).toEqual(comparableReport(single.report))
    expect(rankingOf(result.report, flipped)).toBeGreaterThan(0.5)
    // The run's jobs, asks, results and blobs are gone once it ended.
    expect(await queryPostgres(`select job from ${schema}.scan_jobs`)).toEqual([])
    expect(await queryPostgres(`select ask from ${schema}.scan_asks`)).toEqual([])
    expect(await queryPostgres(`select digest from ${schema}.scan_blobs`)).toEqual([])
  })
})
