// `poisonguard check` of a 100,000-row × 20-column batch against a 100,000-row reference, MMD included: load both
// CSVs, run schema validation and every drift test, render JSON and HTML. Build first (`npx tsc -p
// tsconfig.build.json`); prints one JSON object to stdout, progress to stderr.
// Options: --rows=100000 --cols=20 --runs=3 --mmd-rows=2000 (rows above 250,000 per side switch to KLL sketches)
// Ours runs as `poisonguard check` does (`checkFiles`): the reference is read on a worker thread while this thread
// reads the batch, and the same worker then runs the MMD beside the per-column tests; so its load + check is one
// span, reported with its CPU time (all threads) and this thread's share of it.
// The peer — numpy loading the same two CSVs, scipy.stats.ks_2samp per column and a χ² test on the label — runs
// interleaved with ours in the same run (medians of `runs` rounds); the ratio compares load + check with it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { renderCheckHtml } from '../dist/drift/html.js'
import { createRng } from '../dist/util/rng.js'
import { checkFiles } from '../dist/workflows/check-files.js'

function option(name, fallback) {
  const match = process.argv.find((arg) => arg.startsWith(`--${name}=`))
  return match ? Number(match.split('=')[1]) : fallback
}

const rows = option('rows', 100_000)
const cols = option('cols', 20)
const runs = option('runs', 3)
const mmdRows = option('mmd-rows', 2000)
const log = (message) => process.stderr.write(`${message}\n`)
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const seconds = (start) => (performance.now() - start) / 1000

/** Features: normal, uniform, skewed and small counts; the batch shifts two of them and the label prior. */
function writeCsv(path, seed, shifted) {
  const rng = createRng(seed)
  const header = ['id', 'label', 'source', ...Array.from({ length: cols }, (_, col) => `f${col}`)]
  const lines = [header.join(',')]
  for (let row = 0; row < rows; row++) {
    const cells = [`r${seed}-${row}`, rng.next() < (shifted ? 0.36 : 0.3) ? 'b' : 'a', `s${row % 4}`]
    for (let col = 0; col < cols; col++) {
      const kind = col % 4
      let value
      if (kind === 0) value = rng.normal() + (shifted && col === 0 ? 0.05 : 0)
      else if (kind === 1) value = rng.next() * 100
      else if (kind === 2) value = Math.exp(rng.normal() + (shifted && col === 2 ? 0.1 : 0))
      else value = rng.int(5)
      cells.push(Number.isInteger(value) ? String(value) : value.toFixed(5))
    }
    lines.push(cells.join(','))
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}

const PEER = `
import json, sys, time
import numpy as np
from scipy import stats
started, cpu = time.perf_counter(), time.process_time()
cols = int(sys.argv[3])
def load(path):
    features = np.loadtxt(path, delimiter=',', skiprows=1, usecols=range(3, 3 + cols))
    labels = np.loadtxt(path, delimiter=',', skiprows=1, usecols=[1], dtype=str)
    return features, labels
reference, reference_labels = load(sys.argv[1])
batch, batch_labels = load(sys.argv[2])
loaded, load_cpu = time.perf_counter(), time.process_time() - cpu
p_values = [stats.ks_2samp(reference[:, col], batch[:, col]).pvalue for col in range(cols)]
classes = sorted(set(reference_labels) | set(batch_labels))
table = [[int(np.sum(side == name)) for name in classes] for side in (reference_labels, batch_labels)]
p_values.append(stats.chi2_contingency(table).pvalue)
print(json.dumps({'seconds': time.perf_counter() - started, 'loadSeconds': loaded - started,
                  'cpuSeconds': time.process_time() - cpu, 'loadCpuSeconds': load_cpu, 'tests': len(p_values)}))
`

/** numpy + scipy on the same files, timed inside Python (imports excluded); undefined when they are missing. */
function runPeer(referencePath, batchPath) {
  const child = spawnSync('python3', ['-c', PEER, referencePath, batchPath, String(cols)], {
    encoding: 'utf8',
  })
  if (child.status !== 0) return undefined
  return JSON.parse(child.stdout)
}

const cpuSeconds = (usage) => (usage.user + usage.system) / 1e6

/**
 * CPU seconds of this process's main thread alone (Linux, 10 ms ticks), undefined elsewhere: with the MMD on a
 * worker thread, the longer of it and the worker's time is the check's wall time on an idle machine.
 */
function mainThreadCpuSeconds() {
  const path = `/proc/self/task/${process.pid}/stat`
  if (!existsSync(path)) return undefined
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

const folder = mkdtempSync(join(tmpdir(), 'poisonguard-drift-bench-'))
try {
  const referencePath = join(folder, 'reference.csv')
  const batchPath = join(folder, 'batch.csv')
  log(`writing ${rows} × ${cols} reference and batch CSVs …`)
  writeCsv(referencePath, 1, false)
  writeCsv(batchPath, 2, true)
  const timings = []
  const peers = []
  const loadAtStart = loadavg()[0] / cpus().length
  let report
  for (let run = 0; run < runs; run++) {
    log(`run ${run + 1}/${runs}: numpy + scipy …`)
    peers.push(runPeer(referencePath, batchPath))
    log(`run ${run + 1}/${runs}: poisonguard …`)
    const cpuStarted = process.cpuUsage()
    const mainStarted = mainThreadCpuSeconds()
    const started = performance.now()
    report = await checkFiles(batchPath, referencePath, { mmdMaxRowsPerSide: mmdRows })
    const checked = performance.now()
    const checkCpuSeconds = cpuSeconds(process.cpuUsage(cpuStarted))
    const mainChecked = mainThreadCpuSeconds()
    const json = JSON.stringify(report, null, 1)
    const html = renderCheckHtml(report)
    const rendered = performance.now()
    timings.push({
      renderSeconds: (rendered - checked) / 1000,
      totalSeconds: seconds(started),
      loadAndCheckSeconds: (checked - started) / 1000,
      loadAndCheckCpuSeconds: checkCpuSeconds,
      mainThreadCpuSeconds: mainStarted === undefined ? undefined : mainChecked - mainStarted,
      jsonBytes: json.length,
      htmlBytes: html.length,
    })
  }
  const pick = (key) => median(timings.map((timing) => timing[key]))
  const mmd = report.tests.find((test) => test.test === 'mmd')
  const peerRan = peers.every((peer) => peer !== undefined)
  const ratio = (ours, theirs) =>
    Number(median(timings.map((timing, index) => timing[ours] / peers[index][theirs])).toFixed(2))
  const result = {
    machine: `${cpus()[0].model}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    rows,
    cols,
    runs,
    mmdRowsPerSide: mmdRows,
    medianSeconds: {
      loadAndCheck: pick('loadAndCheckSeconds'),
      render: pick('renderSeconds'),
      total: pick('totalSeconds'),
    },
    allRuns: timings.map((timing) => Number(timing.totalSeconds.toFixed(3))),
    loadAndCheck: {
      seconds: pick('loadAndCheckSeconds'),
      cpuSeconds: pick('loadAndCheckCpuSeconds'),
      mainThreadCpuSeconds:
        timings[0].mainThreadCpuSeconds === undefined
          ? undefined
          : Number(pick('mainThreadCpuSeconds').toFixed(2)),
      allRunsCpuSeconds: timings.map((timing) => Number(timing.loadAndCheckCpuSeconds.toFixed(3))),
      coresUsed: Number((pick('loadAndCheckCpuSeconds') / pick('loadAndCheckSeconds')).toFixed(2)),
    },
    peer: peerRan
      ? {
          name: 'numpy.loadtxt + scipy.stats.ks_2samp per column + chi2_contingency on the label',
          seconds: median(peers.map((peer) => peer.seconds)),
          loadSeconds: median(peers.map((peer) => peer.loadSeconds)),
          cpuSeconds: median(peers.map((peer) => peer.cpuSeconds)),
          loadCpuSeconds: median(peers.map((peer) => peer.loadCpuSeconds)),
          allRunsCpuSeconds: peers.map((peer) => Number(peer.cpuSeconds.toFixed(3))),
          tests: peers[0].tests,
        }
      : undefined,
    peerNote: peerRan ? undefined : 'python3 with numpy and scipy did not run; no peer measured',
    ratioToPeer: peerRan
      ? { wall: ratio('loadAndCheckSeconds', 'seconds'), cpu: ratio('loadAndCheckCpuSeconds', 'cpuSeconds') }
      : undefined,
    barRatio: 1,
    loadPerCore: {
      start: Number(loadAtStart.toFixed(2)),
      end: Number((loadavg()[0] / cpus().length).toFixed(2)),
    },
    targetSeconds: 10,
    tests: report.summary.tests,
    significant: report.tests.filter((test) => test.significant).map((test) => test.id),
    mmd: mmd && { pValue: mmd.pValue, method: mmd.method, rounds: mmd.details.rounds },
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
} finally {
  rmSync(folder, { recursive: true, force: true })
}
