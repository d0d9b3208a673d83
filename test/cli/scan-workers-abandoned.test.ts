import { readFile } from 'node:fs/promises'
import type { Queue } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openCoordinator, openScanStore } from '../../src/distributed/index.js'
import { openScanQueue } from '../../src/distributed/queue.js'
import { PoisonguardError } from '../../src/errors.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { dropSchema, isolatedScanStore, queryPostgres, REDIS_URL, skipReason } from '../service/harness.js'
import { type SpawnedCli, spawnCli } from './spawn-cli.js'

/*
 * A coordinator killed outright cannot take its jobs off the queue nor its rows out of the store. Its run's lease
 * runs out, and `poisonguard worker --clean` (like every worker and later coordinator) removes what it left, while
 * a scan still running beside it keeps everything and finishes with the report.
 */

const suite = 'abandoned distributed scans over PostgreSQL and Redis'
const skip = skipReason('postgres+redis', suite)
const temporary = useTemporaryFolder()
const { schema, prefix, storeUrl } = isolatedScanStore('reap')

function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  return queryPostgres<T>(sql, values, storeUrl)
}

async function until<T>(look: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const found = await look()
    if (found !== undefined) return found
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** What the store holds of one run. */
async function leftovers(run: string) {
  const count = async (table: string) =>
    Number((await query<{ n: string }>(`select count(*) as n from ${table} where run = $1`, [run]))[0].n)
  return {
    runs: await count('scan_runs'),
    jobs: await count('scan_jobs'),
    results: await count('scan_results'),
    blobs: await count('scan_run_blobs'),
  }
}

/**
 * The run a coordinator process started, once its jobs are in the store and on the queue: it writes them to the
 * store first, so a process killed between the two writes would leave jobs the queue never held.
 */
async function runWithJobs(coordinator: SpawnedCli, queue: Queue): Promise<{ run: string; jobs: string[] }> {
  return until(async () => {
    const [found] = await query<{ run: string }>('select run from scan_runs where owner like $1', [
      `%/${coordinator.child.pid}`,
    ])
    if (!found) return undefined
    const jobs = await query<{ job: string }>('select job from scan_jobs where run = $1 order by job', [
      found.run,
    ])
    if (jobs.length === 0) return undefined
    const states = await Promise.all(jobs.map((row) => queue.getJobState(row.job)))
    return states.includes('unknown') ? undefined : { run: found.run, jobs: jobs.map((row) => row.job) }
  })
}

/** A scan whose model folds go to workers, under a lease of `leaseMs`. */
function startScan(input: string, report: string, leaseMs: number): SpawnedCli {
  return spawnCli([
    'scan',
    input,
    '--detectors',
    'label-issues',
    '--workers',
    REDIS_URL,
    '--store',
    storeUrl,
    '--queue-prefix',
    prefix,
    '--lease',
    String(leaseMs),
    '--out',
    report,
    '-q',
  ])
}

async function output(cli: SpawnedCli): Promise<string> {
  let said = ''
  cli.child.stdout?.on('data', (chunk: Buffer) => {
    said += chunk.toString()
  })
  await cli.exited
  return said
}

describe.skipIf(skip)(suite, () => {
  const spawned: SpawnedCli[] = []
  let queue: Queue

  beforeAll(async () => {
    await query(`create schema if not exists ${schema}`)
    // The tables exist before the processes start, so the test can look for their rows at once.
    await (await openScanStore(storeUrl)).close()
    queue = await openScanQueue(REDIS_URL, prefix)
  })

  afterAll(async () => {
    for (const cli of spawned) if (cli.child.exitCode === null) cli.child.kill('SIGKILL')
    await Promise.all(spawned.map((cli) => cli.exited))
    await queue?.obliterate({ force: true })
    await queue?.close()
    await dropSchema(schema)
  })

  it('removes what a coordinator killed with SIGKILL left once its lease expired, and not a live scan', async () => {
    const input = temporary('digits.csv')
    await writeDataset(mnistDataset(300), input, { format: 'csv' })
    // No worker listens yet, so both scans wait with their fold jobs queued and their data stored.
    const live = startScan(input, temporary('live.json'), 10_000)
    spawned.push(live)
    const liveRun = await runWithJobs(live, queue)
    const killed = startScan(input, temporary('killed.json'), 1_000)
    spawned.push(killed)
    const killedRun = await runWithJobs(killed, queue)
    killed.child.kill('SIGKILL')
    expect((await killed.exited).signal).toBe('SIGKILL')

    // Left behind: the run, its jobs and its data in the store, its jobs waiting on the queue.
    const before = await leftovers(killedRun.run)
    expect(before).toMatchObject({ runs: 1, jobs: killedRun.jobs.length })
    expect(before.blobs).toBeGreaterThan(0)
    for (const job of killedRun.jobs) expect(await queue.getJobState(job)).toBe('waiting')
    const liveBefore = await leftovers(liveRun.run)

    await until(async () => {
      const [expired] = await query(
        `select 1 from scan_runs where run = $1 and renewed_at + lease_ms * interval '1 millisecond' < now()`,
        [killedRun.run],
      )
      return expired
    })
    const clean = spawnCli(
      ['worker', '--queue', REDIS_URL, '--scan-store', storeUrl, '--queue-prefix', prefix, '--clean'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    spawned.push(clean)
    const said = await output(clean)
    expect((await clean.exited).code).toBe(0)
    expect(said).toContain(
      `removed 1 abandoned scan run (${killedRun.jobs.length} jobs) whose coordinator stopped renewing its lease`,
    )
    expect(said).toContain(`/${killed.child.pid}`)

    expect(await leftovers(killedRun.run)).toEqual({ runs: 0, jobs: 0, results: 0, blobs: 0 })
    for (const job of killedRun.jobs) expect(await queue.getJob(job)).toBeUndefined()
    // The live scan holds everything it had, the blobs both scans shared (same data) among it.
    expect(await leftovers(liveRun.run)).toEqual(liveBefore)
    for (const job of liveRun.jobs) expect(await queue.getJobState(job)).toBe('waiting')
    const unreferenced = await query(
      'select digest from scan_blobs where digest not in (select digest from scan_run_blobs)',
    )
    expect(unreferenced).toEqual([])

    // A worker now lets the live scan finish, with its report.
    const worker = spawnCli([
      'worker',
      '--queue',
      REDIS_URL,
      '--scan-store',
      storeUrl,
      '--queue-prefix',
      prefix,
    ])
    spawned.push(worker)
    expect((await live.exited).code).toBe(0)
    const report = JSON.parse(await readFile(temporary('live.json'), 'utf8'))
    expect(report.dataset.rows).toBe(300)
    expect(report.detectors.map((detector: { status: string }) => detector.status)).toEqual(['ok'])
    worker.child.kill('SIGTERM')
    await worker.exited
    expect(await query('select run from scan_runs')).toEqual([])
    expect(await query('select digest from scan_blob_parts')).toEqual([])
  })

  it('lets a later coordinator remove a stalled run, whose coordinator then fails instead of waiting', async () => {
    const options = { workers: REDIS_URL, store: storeUrl, prefix, minimumPairs: 1 }
    const stalled = await openCoordinator(options)
    const backend = createPortableBackend()
    try {
      // As if its process had stalled past its lease: the run is found expired by the next coordinator.
      await query(`update scan_runs set renewed_at = now() - interval '1 hour' where run = $1`, [stalled.run])
      const later = await openCoordinator(options)
      try {
        expect(later.reaped.map((run) => run.run)).toEqual([stalled.run])
        const runs = (await query<{ run: string }>('select run from scan_runs')).map((row) => row.run)
        expect(runs).toContain(later.run)
        expect(runs).not.toContain(stalled.run)
      } finally {
        await later.close()
      }
      const points = { data: new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), rows: 4, cols: 2 }
      const search = stalled.backend(backend).knn(points, points, 2, { metric: 'euclidean' })
      await expect(search).rejects.toBeInstanceOf(PoisonguardError)
      await expect(search).rejects.toMatchObject({ code: 'ABORTED' })
    } finally {
      await stalled.close()
    }
  })
})
