// `node bench/service.mjs [--rows=100000] [--reference-rows=10000] [--backends=sqlite,postgres] [--connections=50]
// [--seconds=10]` (after `npx tsc -p tsconfig.build.json`): the intake service end to end on loopback. The service
// runs in a child process (as `poisonguard serve` would), so the load generator does not share its event loop. Per
// store: a signed batch of `rows` records is uploaded, verified, checked, scanned and gated against a reference of
// `reference-rows`; then autocannon reads three routes with `connections` concurrent clients for `seconds` each.
// PostgreSQL at POISONGUARD_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/test), in a schema of its own
// that is dropped afterwards. Prints one JSON object on stdout, progress on stderr; `--markdown FILE` prints the
// BENCHMARKS.md section of such a JSON file.
import { execFileSync, spawn } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

const option = (name, fallback) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const log = (message) => process.stderr.write(`${message}\n`)
const postgresUrl = process.env.POISONGUARD_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Child mode: runs the service until stdin closes, then prints its peak RSS. */
async function serve(backend, dataDir, pgSchema) {
  const { startService } = await import('../dist/server/service.js')
  const service = await startService({
    port: 0,
    dataDir,
    logLevel: 'silent',
    ...(backend === 'postgres' ? { db: postgresUrl, pgSchema } : {}),
    // The limiter stays in the request path, with limits no benchmark client reaches.
    limits: { rates: { perToken: 1e9, perUser: 1e9, anonymous: 1e9 } },
  })
  process.stdout.write(`${JSON.stringify({ url: service.url, adminToken: service.adminToken })}\n`)
  process.stdin.resume()
  await new Promise((resolve) => process.stdin.on('end', resolve))
  await service.close()
  process.stdout.write(
    `${JSON.stringify({ maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  )
}

/** Three classes, each lifting every third of 20 normal features: a learnable table like much tabular data. */
async function tableCsv(rows, seed) {
  const { createRng } = await import('../dist/util/rng.js')
  const rng = createRng(seed)
  const cols = 20
  const lines = [['id', 'label', ...Array.from({ length: cols }, (_, col) => `f${col}`)].join(',')]
  for (let row = 0; row < rows; row++) {
    const label = rng.int(3)
    const cells = [`s${seed}-${row}`, `c${label}`]
    for (let col = 0; col < cols; col++) cells.push((rng.normal() + (col % 3 === label ? 1.5 : 0)).toFixed(4))
    lines.push(cells.join(','))
  }
  return `${lines.join('\n')}\n`
}

async function signedBatch(folder, csv, privateKey) {
  const { createManifest } = await import('../dist/provenance/manifest.js')
  const dataPath = join(folder, 'batch.csv')
  writeFileSync(dataPath, csv)
  const created = await createManifest(dataPath, { out: join(folder, 'batch.manifest.json'), privateKey })
  return {
    manifest: readFileSync(created.manifestPath, 'utf8'),
    sidecar: readFileSync(created.sidecarPath, 'utf8'),
  }
}

function startChild(backend, dataDir, pgSchema) {
  const child = spawn(process.execPath, [process.argv[1], '--serve', backend, dataDir, pgSchema ?? ''], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async () => JSON.parse((await lines.next()).value)
  return { child, next }
}

async function call(base, method, path, token, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const json = await response.json()
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

/** CPU milliseconds a process has used (Linux /proc), or undefined elsewhere. */
function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return undefined
  }
}

async function latency(url, token, connections, seconds, serverPid) {
  const { default: autocannon } = await import('autocannon')
  const cpuBefore = cpuMsOf(serverPid)
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  })
  return {
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    // CPU the server spent per request: unlike latency, hardly moved by what else the machine runs.
    serverCpuMsPerRequest:
      cpuBefore === undefined
        ? null
        : Number(((cpuMsOf(serverPid) - cpuBefore) / result.requests.total).toFixed(2)),
  }
}

async function benchBackend(backend, { rows, referenceRows, connections, seconds }) {
  const folder = mkdtempSync(join(tmpdir(), `poisonguard-service-bench-${backend}-`))
  const pgSchema = backend === 'postgres' ? `bench_${randomBytes(6).toString('hex')}` : undefined
  const { child, next } = startChild(backend, folder, pgSchema)
  // The machine may be shared: the one-minute load averages say how busy it was around the timings.
  const loadBefore = loadavg()[0]
  try {
    const { url, adminToken } = await next()
    const admin = (method, path, body) => call(url, method, path, adminToken, body)
    const project = await admin('POST', '/v1/projects', { name: 'bench', policy: { maxBatchRows: rows } })
    const contributor = await admin('POST', '/v1/users', { name: 'bench-contributor' })
    await admin('PUT', `/v1/projects/${project.id}/members/${contributor.id}`, { role: 'contributor' })
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const source = await admin('POST', `/v1/projects/${project.id}/sources`, {
      name: 'bench-feed',
      ownerUserId: contributor.id,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }),
    })
    log(`${backend}: dataset of ${referenceRows} reference rows …`)
    const dataset = await admin('POST', `/v1/projects/${project.id}/datasets`, {
      name: 'table',
      format: 'csv',
      data: await tableCsv(referenceRows, 1),
    })
    const csv = await tableCsv(rows, 2)
    const signing = await signedBatch(folder, csv, privateKey)
    const body = { sourceId: source.id, format: 'csv', data: csv, ...signing }
    log(`${backend}: uploading and gating a batch of ${rows} rows …`)
    const uploadStarted = performance.now()
    const submitted = await call(
      url,
      'POST',
      `/v1/datasets/${dataset.datasetId}/batches`,
      contributor.token,
      body,
    )
    const uploadSeconds = (performance.now() - uploadStarted) / 1000
    let batch
    do {
      await new Promise((resolve) => setTimeout(resolve, 500))
      batch = await admin('GET', `/v1/batches/${submitted.id}`)
    } while (batch.status === 'pending')
    const endToEndSeconds = (performance.now() - uploadStarted) / 1000
    const reads = {}
    for (const [name, path] of [
      ['GET /v1/batches/{b}', `/v1/batches/${submitted.id}`],
      ['GET /v1/datasets/{d}', `/v1/datasets/${dataset.datasetId}`],
      ['GET /v1/projects/{p}/sources', `/v1/projects/${project.id}/sources`],
    ]) {
      log(`${backend}: ${connections} clients reading ${name} for ${seconds} s …`)
      reads[name] = await latency(`${url}${path}`, adminToken, connections, seconds, child.pid)
    }
    child.stdin.end()
    const { maxRssMiB } = await next()
    return {
      rows,
      referenceRows,
      batchMiB: Number((Buffer.byteLength(JSON.stringify(body)) / 2 ** 20).toFixed(1)),
      decision: batch.status,
      flagged: batch.result.scan?.flagged ?? null,
      uploadSeconds,
      endToEndSeconds,
      stageSeconds: batch.result.seconds,
      serverDecisionSeconds: (Date.parse(batch.decidedAt) - Date.parse(batch.createdAt)) / 1000,
      serverMaxRssMiB: maxRssMiB,
      loadAverage: [loadBefore, loadavg()[0]].map((load) => Number(load.toFixed(1))),
      reads,
    }
  } finally {
    child.kill()
    rmSync(folder, { recursive: true, force: true })
    if (pgSchema) await dropSchema(pgSchema)
  }
}

async function dropSchema(schema) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: postgresUrl })
  await client.connect()
  try {
    await client.query(`drop schema if exists ${schema} cascade`)
  } finally {
    await client.end()
  }
}

/** Why PostgreSQL cannot be benchmarked here, or undefined when it can. */
async function postgresProblem() {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: postgresUrl })
  try {
    await client.connect()
    return undefined
  } catch (error) {
    return `${postgresUrl} is not reachable (${error.message}); set POISONGUARD_BENCH_POSTGRES`
  } finally {
    await client.end().catch(() => {})
  }
}

async function main() {
  const settings = {
    rows: Number(option('rows', 100_000)),
    referenceRows: Number(option('reference-rows', 10_000)),
    connections: Number(option('connections', 50)),
    seconds: Number(option('seconds', 10)),
  }
  const results = {}
  for (const backend of option('backends', 'sqlite,postgres').split(',')) {
    const missing = backend === 'postgres' ? await postgresProblem() : undefined
    if (missing) log(`skipping postgres: ${missing}`)
    else results[backend] = await benchBackend(backend, settings)
  }
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  process.stdout.write(`${JSON.stringify({ ...settings, commit, backends: results })}\n`)
}

/** The BENCHMARKS.md section of a run's JSON. */
export function renderService(service) {
  const stores = Object.entries(service.backends)
  const lines = [
    `## Intake service: a ${service.rows.toLocaleString('en')}-row batch end to end, reads under ${service.connections} concurrent clients`,
    '',
    `A signed CSV batch (20 features, 3 classes) against a ${service.referenceRows.toLocaleString('en')}-row reference, ` +
      'the service in its own process on loopback (`bench/service.mjs`); one run per store. Load is the one-minute ' +
      'load average before and after.',
    '',
    '| store | upload (s) | signature (s) | schema + drift (s) | scan (s) | submission to decision (s) | decision | server peak RSS (MiB) | load |',
    '|---|---|---|---|---|---|---|---|---|',
  ]
  for (const [store, row] of stores)
    lines.push(
      `| ${store} | ${fixed(row.uploadSeconds)} | ${fixed(row.stageSeconds.signature)} | ${fixed(row.stageSeconds.check ?? 0)} | ` +
        `${fixed(row.stageSeconds.scan ?? 0)} | ${fixed(row.endToEndSeconds)} | ${row.decision} | ${row.serverMaxRssMiB} | ` +
        `${row.loadAverage.join(' → ')} |`,
    )
  lines.push(
    '',
    `Reads: autocannon, ${service.connections} connections for ${service.seconds} s per route, one bearer token.`,
    '',
    '| store | route | requests/s | p50 (ms) | p99 (ms) | server CPU per request (ms) | errors and non-2xx |',
    '|---|---|---|---|---|---|---|',
  )
  for (const [store, row] of stores)
    for (const [route, read] of Object.entries(row.reads))
      lines.push(
        `| ${store} | ${route} | ${read.requestsPerSecond} | ${read.p50Ms} | ${read.p99Ms} | ` +
          `${read.serverCpuMsPerRequest ?? 'n/a'} | ${read.errors + read.non2xx} |`,
      )
  return lines
}

const fixed = (value, digits = 2) => value.toFixed(digits)

// Imported by `bench/run.js` for `renderService` only; run directly, it benchmarks (or serves, as its own child).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--serve')
    await serve(process.argv[3], process.argv[4], process.argv[5] || undefined)
  else if (process.argv[2] === '--markdown')
    process.stdout.write(`${renderService(JSON.parse(readFileSync(process.argv[3], 'utf8'))).join('\n')}\n`)
  else await main()
}
