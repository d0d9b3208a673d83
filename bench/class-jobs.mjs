// `node bench/class-jobs.mjs [--rows=100000] [--workers=3] [--rounds=3] [--stored=1] [--kind=tabular]` (after
// `npx tsc -p tsconfig.build.json`): the class spectra of bench/synthetic-data.mjs's 64-column table, or with
// `--kind=mnist` its 784-pixel digits (ten classes),
// measured on this thread, then as jobs of one class each on local `poisonguard worker` processes (Redis and
// PostgreSQL as for bench/distributed.mjs), in alternating rounds, each round with a coordinator and workers of its
// own so that nothing is read from a cache. With `--stored=1` (the default) the matrix is first stored and read by the
// workers through one-row neighbour jobs, as a scan's neighbour search leaves it before the spectra are measured; that
// step is measured apart (`stored`). With `--stored=0` the class jobs find nothing stored. Reports each round's CPU
// seconds (this process's from `process.cpuUsage()`, each worker's from `/proc`), the bytes the class jobs stored and
// whether the spectra are the same bits. Prints one JSON object on stdout, progress on stderr.
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { postgresUrl, processCpuSeconds, redisUrl, startWorkers, stopWorkers } from './distributed.mjs'
import { makeDataset } from './synthetic-data.mjs'

const option = (name, fallback) =>
  Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const log = (message) => process.stderr.write(`${message}\n`)
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}
const load = () => loadavg().map((value) => Number(value.toFixed(1)))

/** Every array of every class's spectrum as one string: equal strings are equal bits. */
const bitsOf = (spectra) =>
  spectra.classes
    .map((spectrum) =>
      spectrum
        ? [
            spectrum.rows,
            spectrum.relativeVariances,
            spectrum.directions,
            spectrum.coordinates,
            spectrum.mean,
          ]
            .map((values) =>
              Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64'),
            )
            .join(',')
        : '-',
    )
    .join(';')

async function main() {
  const rows = option('rows', 100_000)
  const workerCount = option('workers', 3)
  const rounds = option('rounds', 3)
  const stored = option('stored', 1) === 1
  const { measureClassSpectra, measureClassSpectraWith } = await import('../dist/detectors/class-spectra.js')
  const { openCoordinator } = await import('../dist/distributed/coordinator.js')
  const { createDefaultBackend } = await import('../dist/linalg/default-backend.js')
  const { selectRows } = await import('../dist/data/matrix.js')
  const { default: pg } = await import('pg')
  const kind = process.argv.find((arg) => arg.startsWith('--kind='))?.split('=')[1] ?? 'tabular'
  const dataset = await makeDataset(kind, rows)
  const { features, labels } = dataset
  const tag = randomBytes(4).toString('hex')
  const schema = `bench_classes_${tag}`
  const prefix = `bench-classes-${tag}`
  const storeUrl = `${postgresUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`
  const admin = new pg.Client({ connectionString: postgresUrl })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  const results = []
  try {
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}: here …`)
      let started = cpuSeconds()
      const hereWall = performance.now()
      const here = measureClassSpectra(features, labels.codes, labels.classes.length)
      const hereCpuSeconds = cpuSeconds() - started
      const hereSeconds = (performance.now() - hereWall) / 1000
      log(`round ${round}: ${workerCount} workers …`)
      const workers = await startWorkers(workerCount, storeUrl, prefix)
      // One-row neighbour jobs, so that every worker soon takes one and reads the matrix.
      const coordinator = await openCoordinator({
        workers: redisUrl,
        store: storeUrl,
        prefix,
        jobRows: 1,
        minimumPairs: 1,
      })
      const local = await createDefaultBackend()
      try {
        const storedBytes = async () =>
          Number(
            (
              await admin.query(
                `select coalesce(sum(byte_count), 0)::bigint as bytes from ${schema}.scan_blobs`,
              )
            ).rows[0].bytes,
          )
        const jobsPerWorker = (jobs) => {
          const byWorker = new Map()
          for (const job of jobs) byWorker.set(job.worker, (byWorker.get(job.worker) ?? 0) + 1)
          return [...byWorker.values()]
        }
        let storing
        if (stored) {
          const workersBefore = workers.map((child) => processCpuSeconds(child.pid))
          const started = cpuSeconds()
          const queries = selectRows(
            features,
            Int32Array.from({ length: 4 * workerCount }, (_, row) => row),
          )
          await coordinator.backend(local).knn(features, queries, 1, { metric: 'euclidean' })
          storing = {
            coordinatorCpuSeconds: cpuSeconds() - started,
            workerCpuSeconds: workers.map(
              (child, index) => processCpuSeconds(child.pid) - workersBefore[index],
            ),
            jobsPerWorker: jobsPerWorker(await coordinator.jobs()),
          }
        }
        const bytesBefore = await storedBytes()
        const workersBefore = workers.map((child) => processCpuSeconds(child.pid))
        started = cpuSeconds()
        const wall = performance.now()
        const spectra = await measureClassSpectraWith(
          features,
          labels.codes,
          labels.classes.length,
          coordinator.classSpectra,
        )
        const coordinatorCpuSeconds = cpuSeconds() - started
        const seconds = (performance.now() - wall) / 1000
        const workerCpuSeconds = workers.map(
          (child, index) => processCpuSeconds(child.pid) - workersBefore[index],
        )
        const jobs = (await coordinator.jobs()).filter((job) => job.kind === 'class')
        results.push({
          round,
          ...(storing ? { stored: storing } : {}),
          hereCpuSeconds,
          hereSeconds,
          coordinatorCpuSeconds,
          workerCpuSeconds,
          seconds,
          storedBytes: (await storedBytes()) - bytesBefore,
          jobs: jobs.length,
          retried: jobs.filter((job) => job.attempts > 1).length,
          jobsPerWorker: jobsPerWorker(jobs),
          sameBits: bitsOf(spectra) === bitsOf(here),
          load: load(),
        })
      } finally {
        await local.dispose()
        await coordinator.close()
        await stopWorkers(workers)
      }
    }
    process.stdout.write(
      `${JSON.stringify({ kind, rows, cols: features.cols, classes: labels.classes.length, stored, results })}\n`,
    )
  } finally {
    await admin.query(`drop schema if exists ${schema} cascade`)
    await admin.end()
    const { Redis } = await import('ioredis')
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  }
}

await main()
