// `node bench/distributed.mjs [--rows=30000] [--workers=1,2,3]` (after `npx tsc -p tsconfig.build.json`): one scan of
// a synthetic 64-column table (ten classes of five Gaussian blobs, exact neighbours forced so the neighbour search is
// the large shared analysis) in one process, then with its neighbour and fold jobs on 1, 2 and 3 local
// `poisonguard worker` processes over Redis and PostgreSQL (POISONGUARD_BENCH_REDIS, POISONGUARD_BENCH_POSTGRES;
// a schema and queue prefix of its own, removed afterwards). Reports wall time, speed-up, scaling efficiency, the
// jobs each worker finished and whether the report equals the single-process one. Prints one JSON object on stdout,
// progress on stderr; `--markdown FILE` prints the BENCHMARKS.md section of such a JSON file.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { makeDataset } from './synthetic-data.mjs'

const option = (name, fallback) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const log = (message) => process.stderr.write(`${message}\n`)
const redisUrl = process.env.POISONGUARD_BENCH_REDIS ?? 'redis://127.0.0.1:6379'
const postgresUrl = process.env.POISONGUARD_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test'
const load = () => loadavg().map((value) => Number(value.toFixed(1)))

async function writeTable(path, rows) {
  const { writeDataset } = await import('../dist/io/write-dataset.js')
  await writeDataset(await makeDataset('tabular', rows), path, { format: 'csv' })
}

/** Starts `poisonguard worker` processes and resolves when each listens. */
async function startWorkers(count, storeUrl, prefix) {
  const args = ['bin/poisonguard.js', 'worker', '--queue', redisUrl, '--scan-store', storeUrl]
  return Promise.all(
    Array.from({ length: count }, async () => {
      const child = spawn(process.execPath, [...args, '--queue-prefix', prefix], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let said = ''
      await new Promise((resolve, reject) => {
        child.stderr.on('data', (chunk) => {
          said += chunk
          if (said.includes('waiting for scan jobs')) resolve()
        })
        child.on('exit', (code) => reject(new Error(`worker exited with ${code}: ${said}`)))
      })
      return child
    }),
  )
}

async function stopWorkers(workers) {
  await Promise.all(
    workers.map(
      (child) =>
        new Promise((resolve) => {
          child.on('exit', resolve)
          child.kill('SIGTERM')
        }),
    ),
  )
}

/** Records as the ranking and flags see them. */
const verdicts = (report) =>
  JSON.stringify(
    report.records.map(({ id, suspicion, flagged, severity, findings }) => [
      id,
      suspicion,
      flagged,
      severity,
      findings,
    ]),
  )

async function main() {
  const rows = Number(option('rows', 30_000))
  const counts = option('workers', '1,2,3').split(',').map(Number)
  const { scanFile } = await import('../dist/workflows/scan-file.js')
  const { scanFileOnWorkers, summariseJobs } = await import('../dist/distributed/index.js')
  const { default: pg } = await import('pg')
  const folder = mkdtempSync(join(tmpdir(), 'poisonguard-distributed-'))
  const tag = randomBytes(4).toString('hex')
  const schema = `bench_dist_${tag}`
  const prefix = `bench-dist-${tag}`
  const storeUrl = `${postgresUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`
  const admin = new pg.Client({ connectionString: postgresUrl })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  const options = { seed: 0, neighbourSearch: { method: 'exact' } }
  try {
    const path = join(folder, 'table.csv')
    log(`writing ${rows} × 64 …`)
    await writeTable(path, rows)
    log('one process …')
    const loadBefore = load()
    let started = performance.now()
    const single = await scanFile(path, options)
    const singleSeconds = (performance.now() - started) / 1000
    const runs = []
    for (const count of counts) {
      log(`${count} worker${count > 1 ? 's' : ''} …`)
      const workers = await startWorkers(count, storeUrl, prefix)
      try {
        started = performance.now()
        const result = await scanFileOnWorkers(path, {
          ...options,
          distributed: { workers: redisUrl, store: storeUrl, prefix },
        })
        const seconds = (performance.now() - started) / 1000
        const split = summariseJobs(result.jobs)
        runs.push({
          workers: count,
          seconds,
          speedUp: singleSeconds / seconds,
          efficiency: singleSeconds / seconds / count,
          sameReport: verdicts(result.report) === verdicts(single.report),
          jobs: split.jobs,
          retried: split.retried,
          byWorker: Object.values(split.byWorker),
        })
      } finally {
        await stopWorkers(workers)
      }
    }
    const result = {
      rows,
      cols: 64,
      cores: cpus().length,
      singleSeconds,
      runs,
      loadAverage: [loadBefore, load()],
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    await admin.query(`drop schema if exists ${schema} cascade`)
    await admin.end()
    rmSync(folder, { recursive: true, force: true })
    const { Redis } = await import('ioredis')
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  }
}

/** The BENCHMARKS.md section of a result. */
export function renderDistributed(result) {
  const fixed = (value, digits = 2) => value.toFixed(digits)
  const lines = [
    `## Distributed scan: ${result.rows.toLocaleString('en')} × ${result.cols}, exact neighbours, local workers`,
    '',
    '`node bench/distributed.mjs`: the same scan in one process, then with its neighbour blocks and model folds as ' +
      'BullMQ jobs on 1, 2 and 3 `poisonguard worker` processes of this machine (Redis queue, PostgreSQL store); the ' +
      'coordinator runs the rest. Speed-up is one process over the distributed wall time; efficiency is speed-up per ' +
      `worker. This machine has ${result.cores} cores, shared by the coordinator and every worker, so more workers ` +
      'cannot run faster here: the table shows the overhead of the jobs and that the work is shared out evenly; ' +
      'speed-up needs workers on other machines.',
    '',
    `One process: ${fixed(result.singleSeconds)} s. Load average (1, 5, 15 min) ${result.loadAverage[0].join(', ')} ` +
      `before, ${result.loadAverage[1].join(', ')} after.`,
    '',
    '| workers | seconds | speed-up | efficiency | same report | jobs | retried | jobs per worker (neighbour / fold) |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const run of result.runs)
    lines.push(
      `| ${run.workers} | ${fixed(run.seconds)} | ${fixed(run.speedUp)}× | ${fixed(100 * run.efficiency, 0)}% | ` +
        `${run.sameReport ? 'yes' : 'no'} | ${run.jobs} | ${run.retried} | ` +
        `${run.byWorker.map((done) => `${done.knn} / ${done.fold}`).join(', ')} |`,
    )
  return lines
}

// Imported by `bench/run.js` for `renderDistributed` only; run directly, it benchmarks.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--markdown')
    process.stdout.write(
      `${renderDistributed(JSON.parse(readFileSync(process.argv[3], 'utf8'))).join('\n')}\n`,
    )
  else await main()
}
