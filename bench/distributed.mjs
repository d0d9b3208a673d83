// `node bench/distributed.mjs [--rows=30000] [--workers=1,2,3] [--neighbours=exact|auto|approximate] [--detector-jobs] [--class-jobs]
// [--data=tabular|text] [--text-job-chars=N] [--min-text-chars=N]` (after `npx tsc -p tsconfig.build.json`): one scan
// of a synthetic 64-column table (ten classes of five Gaussian blobs, or with `--data=text` the short texts of
// bench/synthetic-data.mjs, whose term counts go out as feature jobs past the size threshold;
// exact neighbours by default, so the neighbour search is the large shared analysis; `auto` takes the inverted-file
// index from 20,000 rows, whose lists the workers then search in runs) in one process, then with its neighbour,
// fold (with `--class-jobs` the class spectra's per-class, with `--detector-jobs` detector) jobs on 1, 2 and 3 local `poisonguard worker` processes over Redis and PostgreSQL (POISONGUARD_BENCH_REDIS,
// POISONGUARD_BENCH_POSTGRES; a schema and queue prefix of its own, removed afterwards). Reports wall and CPU time
// (the coordinator's and each worker's), speed-up, scaling efficiency, the jobs each worker finished by kind and
// whether the report equals the single-process one. Prints one JSON object on stdout, progress on stderr;
// `--markdown FILE` prints the BENCHMARKS.md section of such a JSON file.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, hostname, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { makeDataset } from './synthetic-data.mjs'

const option = (name, fallback) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const log = (message) => process.stderr.write(`${message}\n`)
export const redisUrl = process.env.POISONGUARD_BENCH_REDIS ?? 'redis://127.0.0.1:6379'
export const postgresUrl = process.env.POISONGUARD_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test'
const load = () => loadavg().map((value) => Number(value.toFixed(1)))
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}
/** CPU seconds (user + system, all threads) a process has used so far, from /proc; clock ticks are 1/100 s on Linux. */
export const processCpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * Seconds from the end of the features to the neighbour graph (the last progress of the neighbour step), and the
 * seconds and this process's CPU seconds the features took.
 */
function neighbourTimer() {
  let featuresStarted
  let featuresCpuStarted
  let featuresDone
  let featuresCpu
  let graphDone
  return {
    onProgress({ step, fractionDone }) {
      if (step === 'features' && fractionDone === 0) {
        featuresStarted = performance.now()
        featuresCpuStarted = cpuSeconds()
      }
      if (step === 'features' && fractionDone === 1) {
        featuresDone = performance.now()
        featuresCpu = cpuSeconds() - featuresCpuStarted
      }
      if (step === 'neighbours' && fractionDone === 1) graphDone = performance.now()
    },
    seconds: () => (featuresDone && graphDone ? (graphDone - featuresDone) / 1000 : undefined),
    features: () => ({
      featuresSeconds: featuresDone && (featuresDone - featuresStarted) / 1000,
      featuresCpuSeconds: featuresCpu,
    }),
  }
}

async function writeTable(path, kind, rows) {
  const { writeDataset } = await import('../dist/io/write-dataset.js')
  await writeDataset(await makeDataset(kind, rows), path, { format: 'csv' })
}

/** Starts `poisonguard worker` processes and resolves when each listens. */
export async function startWorkers(count, storeUrl, prefix) {
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

export async function stopWorkers(workers) {
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
  const neighbours = option('neighbours', 'exact')
  const detectorJobs = process.argv.includes('--detector-jobs')
  const classJobs = process.argv.includes('--class-jobs')
  const data = option('data', 'tabular')
  const textJobChars = option('text-job-chars')
  const minimumTextChars = option('min-text-chars')
  const textOptions = {
    ...(textJobChars ? { textJobChars: Number(textJobChars) } : {}),
    ...(minimumTextChars ? { minimumTextChars: Number(minimumTextChars) } : {}),
  }
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
  const options = { seed: 0, neighbourSearch: { method: neighbours } }
  try {
    const path = join(folder, 'table.csv')
    log(data === 'text' ? `writing ${rows} short texts …` : `writing ${rows} × 64 …`)
    await writeTable(path, data, rows)
    log('one process …')
    const loadBefore = load()
    let timer = neighbourTimer()
    let started = performance.now()
    let cpuStarted = cpuSeconds()
    const single = await scanFile(path, { ...options, onProgress: timer.onProgress })
    const singleSeconds = (performance.now() - started) / 1000
    const singleCpuSeconds = cpuSeconds() - cpuStarted
    const singleNeighbourSeconds = timer.seconds()
    const singleFeatures = timer.features()
    const runs = []
    for (const count of counts) {
      log(`${count} worker${count > 1 ? 's' : ''} …`)
      const workers = await startWorkers(count, storeUrl, prefix)
      try {
        timer = neighbourTimer()
        const workerCpuBefore = workers.map((child) => processCpuSeconds(child.pid))
        started = performance.now()
        cpuStarted = cpuSeconds()
        const result = await scanFileOnWorkers(path, {
          ...options,
          onProgress: timer.onProgress,
          distributed: {
            workers: redisUrl,
            store: storeUrl,
            prefix,
            detectorJobs,
            classJobs,
            ...textOptions,
          },
        })
        const seconds = (performance.now() - started) / 1000
        const coordinatorCpuSeconds = cpuSeconds() - cpuStarted
        const workerCpuSeconds = workers.map(
          (child, index) => processCpuSeconds(child.pid) - workerCpuBefore[index],
        )
        const split = summariseJobs(result.jobs)
        runs.push({
          workers: count,
          seconds,
          neighbourSeconds: timer.seconds(),
          ...timer.features(),
          coordinatorCpuSeconds,
          speedUp: singleSeconds / seconds,
          efficiency: singleSeconds / seconds / count,
          sameReport: verdicts(result.report) === verdicts(single.report),
          jobs: split.jobs,
          retried: split.retried,
          retriedKinds: result.jobs.filter((job) => job.attempts > 1).map((job) => job.kind),
          // In the order the workers started, with the CPU each used during the scan.
          byWorker: workers.map((child, index) => ({
            features: 0,
            knn: 0,
            ivf: 0,
            fold: 0,
            class: 0,
            detector: 0,
            ...split.byWorker[`${hostname()}/${child.pid}`],
            cpuSeconds: workerCpuSeconds[index],
          })),
        })
      } finally {
        await stopWorkers(workers)
      }
    }
    const result = {
      rows,
      data,
      cols: data === 'text' ? undefined : 64,
      cores: cpus().length,
      neighbours: single.status === 'scanned' ? single.report.analyses?.neighbours : undefined,
      singleSeconds,
      singleCpuSeconds,
      singleNeighbourSeconds,
      ...Object.fromEntries(
        Object.entries(singleFeatures).map(([key, value]) => [
          `single${key[0].toUpperCase()}${key.slice(1)}`,
          value,
        ]),
      ),
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
  const fixed = (value, digits = 2) => (value === undefined ? '–' : value.toFixed(digits))
  const search = result.neighbours
  const approximate = search?.method === 'ivf'
  const lines = [
    `## Distributed scan: ${result.rows.toLocaleString('en')} ${result.data === 'text' ? 'short texts' : `× ${result.cols}`}, ` +
      `${approximate ? 'approximate' : 'exact'} neighbours, local workers`,
    '',
    '`node bench/distributed.mjs`: the same scan in one process, then with its neighbour searches, model folds and ' +
      'detectors as ' +
      'BullMQ jobs on 1, 2 and 3 `poisonguard worker` processes of this machine (Redis queue, PostgreSQL store); the ' +
      'coordinator runs the rest. Speed-up is one process over the distributed wall time; efficiency is speed-up per ' +
      `worker. This machine has ${result.cores} cores, shared by the coordinator and every worker, so more workers ` +
      'cannot run faster here: the table shows the overhead of the jobs and that the work is shared out evenly; ' +
      'speed-up needs workers on other machines.',
    '',
    ...(approximate
      ? [
          `Inverted-file index: ${search.lists} lists, ${search.probes} probes, recall@${search.recallAt} ` +
            `${search.recall}; its lists are searched as runs of lists, one job each (\`ivf\` below), the k-means ` +
            'rounds, probe tuning and recall check as blocks of rows (`knn`).',
          '',
        ]
      : []),
    `One process: ${fixed(result.singleSeconds)} s (${fixed(result.singleCpuSeconds, 1)} CPU s; features to ` +
      `neighbour graph ${fixed(result.singleNeighbourSeconds, 1)} s). Load average (1, 5, 15 min) ` +
      `${result.loadAverage[0].join(', ')} before, ${result.loadAverage[1].join(', ')} after.`,
    '',
    '| workers | seconds | features to graph, s | speed-up | efficiency | same report | jobs | retried | ' +
      'coordinator CPU s | per worker: features / knn / ivf / fold / detector jobs, CPU s |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const run of result.runs)
    lines.push(
      `| ${run.workers} | ${fixed(run.seconds)} | ${fixed(run.neighbourSeconds, 1)} | ${fixed(run.speedUp)}× | ` +
        `${fixed(100 * run.efficiency, 0)}% | ${run.sameReport ? 'yes' : 'no'} | ${run.jobs} | ${run.retried} | ` +
        `${fixed(run.coordinatorCpuSeconds, 1)} | ` +
        `${run.byWorker
          .map(
            (done) =>
              `${done.features ?? 0} / ${done.knn} / ${done.ivf ?? 0} / ${done.fold} / ${done.detector ?? 0}, ${fixed(done.cpuSeconds, 1)}`,
          )
          .join('; ')} |`,
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
