// `node bench/provenance.mjs [--records=1000000] [--runs=3] [--threads=N]` (after `npx tsc -p tsconfig.build.json`):
// `--threads=1` or `=2` sets the threads (default: the library's, two when the load leaves a core free). Generates a
// CSV in a temporary folder, then times raw-file hashing, manifest creation and verification, each in a fresh process
// so its peak RSS is its own. The peer — a Python loop that SHA-256-hashes every line and the whole file — runs
// interleaved with create and verify in the same run (medians of `runs` rounds), so a busy machine slows both
// alike; the ratios are what to compare. Prints one JSON object on stdout.
import { execFileSync, spawnSync } from 'node:child_process'
import {
  closeSync,
  createWriteStream,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const self = fileURLToPath(import.meta.url)
const argument = (name, fallback) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback

async function phase(name, folder) {
  const dataset = join(folder, 'data.csv')
  const manifest = join(folder, 'data.manifest.json')
  const { hashFile } = await import('../dist/io/hash.js')
  const { generateKeyFiles } = await import('../dist/provenance/keys.js')
  const { createManifest } = await import('../dist/provenance/manifest.js')
  const { verifyDatasetAgainstManifest } = await import('../dist/provenance/verify.js')
  if (name === 'create') await generateKeyFiles(join(folder, 'key'), { overwrite: true })
  const threads = argument('threads') === undefined ? undefined : Number(argument('threads'))
  const started = performance.now()
  const cpuStarted = process.cpuUsage()
  let detail = {}
  if (name === 'hash') {
    // Best of three, so one unlucky scheduling slice on a busy machine does not decide the number.
    const mebibytes = statSync(dataset).size / 2 ** 20
    let best = { seconds: Number.POSITIVE_INFINITY, cpuSeconds: 0 }
    for (let run = 0; run < 3; run++) {
      const runStarted = performance.now()
      const runCpu = process.cpuUsage()
      await hashFile(dataset)
      const seconds = (performance.now() - runStarted) / 1000
      const cpu = process.cpuUsage(runCpu)
      if (seconds < best.seconds) best = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
    }
    detail = {
      megabytesPerSecond: Math.round(mebibytes / best.seconds),
      megabytesPerCpuSecond: Math.round(mebibytes / best.cpuSeconds),
    }
  } else if (name === 'create') {
    const created = await createManifest(dataset, {
      out: manifest,
      privateKeyPath: join(folder, 'key.pem'),
      threads,
    })
    detail = { records: created.statement.predicate.records.count, threads: created.threads }
  } else if (name === 'verify') {
    const result = await verifyDatasetAgainstManifest(dataset, manifest, {
      publicKeyPath: join(folder, 'key.pub.pem'),
      requireSigned: true,
      collectSources: false,
      threads,
    })
    if (!result.ok) throw new Error(`verification failed: ${result.failures[0].message}`)
  } else if (name === 'verify-tampered') {
    const result = await verifyDatasetAgainstManifest(dataset, manifest, {
      publicKeyPath: join(folder, 'key.pub.pem'),
      collectSources: false,
      threads,
    })
    detail = { failedChecks: result.failures.map((failure) => failure.check) }
  }
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuStarted)
  const cpuSeconds = Number(((cpu.user + cpu.system) / 1e6).toFixed(2))
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024)
  process.stdout.write(
    `${JSON.stringify({ ...detail, seconds: Number(seconds.toFixed(2)), cpuSeconds, maxRssMiB })}\n`,
  )
}

/** A small deterministic generator (bench data only; the library uses src/util/rng.ts). */
function lcg(seed) {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

async function generate(path, recordCount) {
  const random = lcg(42)
  const stream = createWriteStream(path)
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta']
  stream.write('id,label,source,x1,x2,x3,x4,text\n')
  let chunk = ''
  for (let row = 0; row < recordCount; row++) {
    const x = () => (random() * 10 - 5).toFixed(4)
    const text = `${words[(random() * 8) | 0]} ${words[(random() * 8) | 0]}`
    chunk += `r${row},${(random() * 10) | 0},vendor-${(random() * 4) | 0},${x()},${x()},${x()},${x()},${text}\n`
    if (chunk.length > 1 << 20) {
      if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve))
      chunk = ''
    }
  }
  stream.end(chunk)
  await new Promise((resolve) => stream.on('finish', resolve))
}

/** Changes one digit in the middle of the file, so verification has to find the record. */
function tamperMiddle(path) {
  const descriptor = openSync(path, 'r+')
  try {
    const position = Math.floor(statSync(path).size / 2)
    const bytes = Buffer.alloc(64)
    readSync(descriptor, bytes, 0, 64, position)
    const digit = bytes.findIndex((byte) => byte >= 0x30 && byte <= 0x38)
    writeSync(descriptor, Buffer.of(bytes[digit] + 1), 0, 1, position + digit)
  } finally {
    closeSync(descriptor)
  }
}

function summary(measured, recordCount) {
  const { seconds, cpuSeconds, maxRssMiB } = measured
  return {
    seconds,
    cpuSeconds,
    coresUsed: Number((cpuSeconds / seconds).toFixed(2)),
    recordsPerSecond: Math.round(recordCount / seconds),
    maxRssMiB,
  }
}

const PEER = `
import hashlib, json, sys, time
started, cpu = time.perf_counter(), time.process_time()
whole = hashlib.sha256()
with open(sys.argv[1], 'rb') as f:
    for line in f:
        hashlib.sha256(line).digest()
        whole.update(line)
whole.hexdigest()
print(json.dumps({'seconds': time.perf_counter() - started, 'cpuSeconds': time.process_time() - cpu}))
`

/** The Python per-line hash loop, timed inside Python (interpreter start-up excluded); undefined without python3. */
function runPeer(dataset) {
  const child = spawnSync('python3', ['-c', PEER, dataset], { encoding: 'utf8' })
  if (child.status !== 0) return undefined
  const measured = JSON.parse(child.stdout)
  return { seconds: Number(measured.seconds.toFixed(3)), cpuSeconds: Number(measured.cpuSeconds.toFixed(3)) }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Medians of each field over the rounds. */
function medians(rows) {
  return Object.fromEntries(Object.keys(rows[0]).map((key) => [key, median(rows.map((row) => row[key]))]))
}

/** Median over rounds of each round's ratio, wall and CPU; undefined when the peer did not run. */
function ratios(ours, peers) {
  if (peers.some((peer) => peer === undefined)) return undefined
  const ratio = (key) => Number(median(ours.map((row, index) => row[key] / peers[index][key])).toFixed(2))
  return { wall: ratio('seconds'), cpu: ratio('cpuSeconds') }
}

/** 1-minute load average per core at the start, so a reader knows how busy the machine was. */
function loadPerCore() {
  return Number((loadavg()[0] / cpus().length).toFixed(2))
}

async function main() {
  const recordCount = Number(argument('records', '1000000'))
  const runs = Number(argument('runs', '3'))
  const folder = mkdtempSync(join(tmpdir(), 'poisonguard-provenance-'))
  try {
    process.stderr.write(`generating ${recordCount} records …\n`)
    await generate(join(folder, 'data.csv'), recordCount)
    const run = (name) => {
      process.stderr.write(`${name} …\n`)
      const passed = argument('threads') === undefined ? [] : [`--threads=${argument('threads')}`]
      const output = execFileSync(
        process.execPath,
        [self, `--phase=${name}`, `--folder=${folder}`, ...passed],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      )
      return JSON.parse(output)
    }
    const dataset = join(folder, 'data.csv')
    const loadAtStart = loadPerCore()
    const hash = run('hash')
    const rounds = { peer: [], create: [], verify: [] }
    for (let round = 0; round < runs; round++) {
      process.stderr.write(`round ${round + 1}/${runs}: Python per-line hash loop …\n`)
      rounds.peer.push(runPeer(dataset))
      rounds.create.push(run('create'))
      rounds.verify.push(run('verify'))
    }
    const create = medians(rounds.create)
    const verify = medians(rounds.verify)
    tamperMiddle(dataset)
    const tampered = run('verify-tampered')
    const datasetBytes = statSync(dataset).size
    const sidecarBytes = statSync(join(folder, 'data.manifest.records.jsonl')).size
    const peerRan = rounds.peer.every((peer) => peer !== undefined)
    const result = {
      machine: `${cpus()[0].model}, ${cpus().length} cores, Node ${process.version}`,
      loadPerCore: { start: loadAtStart, end: loadPerCore() },
      records: recordCount,
      runs,
      threads: argument('threads') === undefined ? 'default' : Number(argument('threads')),
      datasetMiB: Number((datasetBytes / 2 ** 20).toFixed(1)),
      sidecarMiB: Number((sidecarBytes / 2 ** 20).toFixed(1)),
      rawHash: { miBPerSecond: hash.megabytesPerSecond, miBPerCpuSecond: hash.megabytesPerCpuSecond },
      peer: peerRan ? { name: 'Python hashlib per-line loop', ...medians(rounds.peer) } : undefined,
      peerNote: peerRan ? undefined : 'python3 did not run; no peer measured',
      create: { ...summary(create, recordCount), threadsUsed: rounds.create.map((row) => row.threads) },
      verify: summary(verify, recordCount),
      verifyOneChangedRecord: { ...summary(tampered, recordCount), failedChecks: tampered.failedChecks },
      ratioToPeer: {
        create: ratios(rounds.create, rounds.peer),
        verify: ratios(rounds.verify, rounds.peer),
      },
      barRatio: 2,
      targetSeconds: 30,
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

const phaseName = argument('phase')
if (phaseName) await phase(phaseName, argument('folder'))
else await main()
