// `npm run bench`: measures the kernels and the end-to-end scan on this machine and writes BENCHMARKS.md.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { runBenchmark } from '../dist/evaluation/bench.js'
import { renderBenchMarkdown } from '../dist/evaluation/bench-render.js'
import { averagePrecision } from '../dist/evaluation/metrics.js'
import { builtinDatasets } from '../dist/io/builtin/index.js'
import { loadDataset } from '../dist/io/index.js'
import { createDefaultBackend } from '../dist/linalg/default-backend.js'
import { scanDataset } from '../dist/scan/scan.js'
import { createRng, shuffledIndices } from '../dist/util/rng.js'
import { cleanlabUnavailable, cleanlabVersion, runCleanlab } from './cleanlab.mjs'
import { renderDistributed } from './distributed.mjs'
import { renderRobust } from './robust.mjs'
import { renderScaleSection } from './scale-render.mjs'
import { renderService } from './service.mjs'

const runs = 3
const folder = mkdtempSync(join(tmpdir(), 'poisonguard-bench-'))
const log = (message) => process.stderr.write(`${message}\n`)
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

function machine() {
  return `${cpus()[0].model}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`
}

/** Runs one of the focused benchmark scripts in its own process and returns the JSON it prints. */
function benchScript(script, ...args) {
  log(`${script} …`)
  const output = execFileSync(process.execPath, [`bench/${script}`, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  })
  return JSON.parse(output)
}

/**
 * Wall time of the real CLI in a fresh process (start-up included), its CPU time (all threads) and peak RSS; with
 * cleanlab's pipeline on the same file interleaved run for run when it can run here.
 */
function benchScan(name, file, peerMissing) {
  const times = []
  const cpuTimes = []
  const peerRuns = []
  let memory = 0
  for (let run = 0; run < runs; run++) {
    log(`scan ${name}, run ${run + 1}/${runs} …`)
    const started = performance.now()
    const child = spawnSync(
      process.execPath,
      ['bench/scan-child.mjs', 'scan', file, '--quiet', '--out', join(folder, `${name}.json`)],
      { encoding: 'utf8' },
    )
    times.push((performance.now() - started) / 1000)
    if (child.status !== 0) throw new Error(`scan of ${name} failed: ${child.stderr}`)
    const measured = JSON.parse(child.stdout.trim().split('\n').at(-1))
    memory = Math.max(memory, measured.maxRssMiB)
    cpuTimes.push(measured.cpuSeconds)
    if (!peerMissing) {
      log(`cleanlab on ${name}, run ${run + 1}/${runs} …`)
      peerRuns.push(runCleanlab(file))
    }
  }
  const ours = { seconds: median(times), times, cpuSeconds: median(cpuTimes), maxRssMiB: memory }
  if (peerMissing) return ours
  const peer = {
    seconds: median(peerRuns.map((run) => run.seconds)),
    times: peerRuns.map((run) => run.seconds),
    cpuSeconds: median(peerRuns.map((run) => run.cpuSeconds)),
  }
  return {
    ...ours,
    peer,
    ratioToPeer: { wall: ours.seconds / peer.seconds, cpu: ours.cpuSeconds / peer.cpuSeconds },
  }
}

function flipLabels(dataset, rate, seed) {
  const rng = createRng(seed)
  const codes = Int32Array.from(dataset.labels.codes)
  const flipped = new Uint8Array(dataset.rowCount)
  const classCount = dataset.labels.classes.length
  for (const row of shuffledIndices(dataset.rowCount, rng).subarray(0, Math.round(rate * dataset.rowCount))) {
    codes[row] = (codes[row] + 1 + rng.int(classCount - 1)) % classCount
    flipped[row] = 1
  }
  return { dataset: { ...dataset, labels: { ...dataset.labels, codes } }, flipped }
}

async function benchQuality(name, file, backend) {
  log(`detection quality on ${name} …`)
  const dataset = await loadDataset(file)
  const clean = await scanDataset(dataset, { backend })
  const planted = flipLabels(dataset, 0.1, 1)
  const poisoned = await scanDataset(planted.dataset, { backend })
  const suspicion = poisoned.records.map((record) => record.suspicion)
  const truePositives = poisoned.records.filter(
    (record, row) => record.flagged && planted.flipped[row],
  ).length
  return {
    averagePrecision: averagePrecision(suspicion, planted.flipped),
    precision: truePositives / Math.max(1, poisoned.summary.flagged),
    recall: truePositives / planted.flipped.reduce((sum, flag) => sum + flag, 0),
    cleanFlaggedShare: clean.summary.flagged / clean.dataset.rows,
  }
}

const fixed = (value, digits = 2) => value.toFixed(digits)

function render(results) {
  const { knn, scans, quality } = results
  const lines = [
    '# Benchmarks',
    '',
    `Produced by \`npm run bench\` on ${results.date}: ${results.machine}. Medians of ${runs} runs.`,
    '',
    '## Exact k-NN, 10,000 × 784 MNIST against itself (k = 10)',
    '',
    'GFLOP/s counts the 2·n²·d multiply-adds of the distance product; times are end to end (product and top-k).',
    '',
    '| kernel | metric | seconds | GFLOP/s | speed-up over naive |',
    '|---|---|---|---|---|',
  ]
  for (const row of knn.results) {
    const naive = knn.results.find((other) => other.backend === 'naive-loop' && other.metric === row.metric)
    const timed = row.extrapolated ? ` (${row.queriesTimed} queries timed, scaled)` : ''
    lines.push(
      `| ${row.backend}${timed} | ${row.metric} | ${fixed(row.medianSeconds, 3)} | ${fixed(row.gflops, 1)} | ${fixed(naive.medianSeconds / row.medianSeconds, 0)}× |`,
    )
  }
  lines.push(
    '',
    `Against numpy ${knn.versusNumpy.find((row) => row.numpy.version)?.numpy.version ?? '(not installed)'} (\`X @ X.T\` blocks, argpartition), one run of each per repetition (load average ${knn.loadAverage.before} before, ${knn.loadAverage.after} after); cores used is CPU over wall:`,
    '',
    '| input | metric | onnx s | onnx CPU s | onnx cores | numpy s | numpy CPU s | numpy cores | speed-up over numpy | same neighbours |',
    '|---|---|---|---|---|---|---|---|---|---|',
  )
  for (const row of knn.versusNumpy) {
    const numpy = row.numpy.skipped
      ? `skipped: ${row.numpy.skipped} | | | | `
      : `${fixed(row.numpy.medianSeconds, 3)} | ${fixed(row.numpy.cpuSeconds, 2)} | ${fixed(row.numpy.coresUsed, 1)} | ${fixed(row.speedUpOverNumpy, 2)}× | ${fixed(100 * row.numpy.indexAgreement, 1)}%`
    lines.push(
      `| ${row.input} (${row.rows} × ${row.cols}) | ${row.metric} | ${fixed(row.onnx.medianSeconds, 3)} | ${fixed(row.onnx.cpuSeconds, 2)} | ${fixed(row.onnx.coresUsed, 1)} | ${numpy} |`,
    )
  }
  lines.push(
    '',
    `PCA of the same matrix to ${knn.pca.components} components (randomized SVD, ONNX products): ` +
      `${fixed(knn.pca.medianSeconds, 3)} s, ${fixed(100 * knn.pca.explainedVarianceRatioSum, 1)}% of the variance.`,
  )
  lines.push(
    '',
    '## Full default scan (CLI, fresh process, start-up included)',
    '',
    'CPU seconds count every thread (the cross-validation folds and the detectors run on worker threads); cores used is CPU over wall.',
    '',
    results.cleanlab.unavailable
      ? `cleanlab's pipeline was not measured beside it: ${results.cleanlab.unavailable}.`
      : `Peer, interleaved run for run on the same file: cleanlab ${results.cleanlab.cleanlab} with scikit-learn ${results.cleanlab.sklearn} ` +
          '(`bench/cleanlab.mjs`: pandas reads the file, `CleanLearning(LogisticRegression()).find_label_issues`, ' +
          'texts as word TF-IDF), timed the same way, interpreter start-up included. Bar: MNIST ≤ 0.33 × the peer.',
    '',
    '| dataset | rows | seconds | CPU seconds | cores used | peak RSS (MiB) | cleanlab s | cleanlab CPU s | ratio to cleanlab, wall |',
    '|---|---|---|---|---|---|---|---|---|',
  )
  for (const [name, scan] of Object.entries(scans)) {
    const peer = scan.peer
      ? `${fixed(scan.peer.seconds)} | ${fixed(scan.peer.cpuSeconds)} | ${fixed(scan.ratioToPeer.wall)}`
      : '— | — | —'
    lines.push(
      `| ${name} | ${scan.rows} | ${fixed(scan.seconds)} | ${fixed(scan.cpuSeconds)} | ${fixed(scan.cpuSeconds / scan.seconds, 1)} | ${Math.round(scan.maxRssMiB)} | ${peer} |`,
    )
  }
  lines.push(
    '',
    '## Detection quality: 10% random label flips (seed 1)',
    '',
    '| dataset | average precision | precision at default | recall at default | flagged on clean data |',
    '|---|---|---|---|---|',
  )
  for (const [name, row] of Object.entries(quality)) {
    lines.push(
      `| ${name} | ${fixed(row.averagePrecision, 3)} | ${fixed(row.precision, 3)} | ${fixed(row.recall, 3)} | ${fixed(100 * row.cleanFlaggedShare, 1)}% |`,
    )
  }
  const { provenance, drift } = results
  lines.push(
    '',
    `## Provenance: ${provenance.records.toLocaleString('en')} CSV records (${provenance.datasetMiB} MiB)`,
    '',
    '| step | seconds | CPU seconds | records/s | peak RSS (MiB) |',
    '|---|---|---|---|---|',
  )
  for (const [step, row] of [
    ['manifest create', provenance.create],
    ['manifest verify', provenance.verify],
    ['manifest verify, one record changed', provenance.verifyOneChangedRecord],
  ]) {
    lines.push(
      `| ${step} | ${fixed(row.seconds)} | ${fixed(row.cpuSeconds)} | ${row.recordsPerSecond.toLocaleString('en')} | ${row.maxRssMiB} |`,
    )
  }
  lines.push(
    '',
    `Hashing the raw file: ${Math.round(provenance.rawHash.miBPerSecond)} MiB/s. Sidecar of record hashes: ${provenance.sidecarMiB} MiB.`,
    ...peerLines(provenance, [
      ['manifest create', provenance.ratioToPeer?.create, provenance.create],
      ['manifest verify', provenance.ratioToPeer?.verify, provenance.verify],
    ]),
    '',
    `## Drift check: ${drift.rows.toLocaleString('en')} × ${drift.cols} batch against an equal reference`,
    '',
    `${drift.tests} tests including MMD on ${drift.mmdRowsPerSide} rows per side: ${fixed(drift.medianSeconds.total)} s ` +
      `(loading ${fixed(drift.medianSeconds.load)} s, checking ${fixed(drift.medianSeconds.check)} s), ` +
      `peak RSS ${drift.maxRssMiB} MiB.`,
    ...peerLines(drift, [['load + check', drift.ratioToPeer, drift.loadAndCheck]]),
  )
  lines.push(
    '',
    ...renderCrowd(results.crowd),
    '',
    renderRobust(results.robust),
    '',
    ...renderService(results.service),
    '',
    ...renderCorpus(results.corpus),
  )
  lines.push('', renderScaleSection(results.scale))
  lines.push('', ...renderModels(results.models))
  lines.push('', ...renderDistributed(results.distributed))
  return `${lines.join('\n')}\n`
}

/** The peer measured in the same run, interleaved, and our ratio to it (wall and CPU), or why there is none. */
function peerLines(section, rows) {
  if (!section.peer) return ['', section.peerNote ?? 'No peer measured.']
  const load = section.loadPerCore
    ? `, load average per core ${section.loadPerCore.start}–${section.loadPerCore.end}`
    : ''
  return [
    '',
    `Peer in the same run (interleaved, medians of ${section.runs}${load}): ${section.peer.name}, ` +
      `${fixed(section.peer.seconds)} s wall, ${fixed(section.peer.cpuSeconds)} s CPU.`,
    '',
    '| step | ratio to peer, wall | ratio to peer, CPU | cores used (CPU / wall) | bar |',
    '|---|---|---|---|---|',
    ...rows.map(
      ([step, ratio, ours]) =>
        `| ${step} | ${fixed(ratio?.wall)} | ${fixed(ratio?.cpu)} | ${fixed(ours.coresUsed)} | ≤ ${section.barRatio} |`,
    ),
  ]
}

function renderModels(models) {
  return [
    `## Models on ${models.trainRows.toLocaleString('en')} MNIST digits (\`bench/models.mjs\`, medians of 3)`,
    '',
    '| step | time |',
    '|---|---|',
    `| train the MLP (${models.mlp.hiddenUnits} hidden units, ${models.mlp.epochs} epochs; held-out accuracy ${(100 * models.mlp.heldOutAccuracy).toFixed(1)}%) | ${fixed(models.mlp.seconds)} s |`,
    `| scan-triggers over ${models.scanTriggers.labels} labels (gradient, ${models.scanTriggers.steps} steps × ${models.scanTriggers.samplesPerLabel} inputs per label) | ${fixed(models.scanTriggers.seconds)} s |`,
    `| STRIP per input (${models.strip.overlays} overlays, ONNX Runtime, ${models.strip.inputs} inputs) | ${fixed(models.strip.millisecondsPerInput)} ms |`,
    `| trace ${models.trace.inputs} predictions to ${models.trace.trainingRecords.toLocaleString('en')} training records | ${fixed(models.trace.seconds)} s |`,
  ]
}

function renderCrowd(crowd) {
  const share = (value) => `${(100 * value).toFixed(1)}%`
  return [
    `## Crowd labels: ${crowd.answers.toLocaleString('en')} answers (${crowd.items.toLocaleString('en')} items × ${crowd.answers / crowd.items}, ${crowd.annotators} annotators, ${crowd.classes} classes)`,
    '',
    `Simulated: accuracies 0.55–0.95, 10% of the annotators colluding on one class (\`bench/crowd.mjs\`).`,
    '',
    '| step | seconds | peak RSS (MiB) |',
    '|---|---|---|',
    `| Dawid–Skene in memory (${crowd.iterations} EM iterations, median of 3) | ${fixed(crowd.dawidSkeneSeconds)} | |`,
    `| \`crowdFile\` end to end on a ${crowd.csvMiB} MiB CSV: read, fit, adversaries and collusion, refit, write | ${fixed(crowd.endToEnd.seconds)} | ${crowd.endToEnd.maxRssMiB} |`,
    '',
    `Accuracy against the simulated truth: Dawid–Skene ${share(crowd.dawidSkeneAccuracy)}, majority vote ${share(crowd.majorityVoteAccuracy)}. ` +
      `Colluders found: ${crowd.colluders.found} of ${crowd.colluders.total}; honest annotators flagged: ${crowd.colluders.honestFlagged}.`,
  ]
}

function renderCorpus(corpus) {
  const row = (name, scan) =>
    `| ${name} | ${fixed(scan.seconds)} | ${fixed(scan.cpuSeconds)} | ${scan.maxRssMiB} | ${scan.flagged} | ${scan.plantedFlagged} of ${corpus.planted} |`
  return [
    `## Retrieval corpus: ${corpus.documents.toLocaleString('en')} documents, ${corpus.queries} expected queries`,
    '',
    `\`node bench/corpus.mjs\`: documents of three sentences from random built-in mails, queries the subjects of others, ${corpus.planted} PoisonedRAG passages planted; the real CLI (\`scan --queries\`) in a fresh process, start-up included.`,
    '',
    '| features | seconds | CPU seconds | peak RSS (MiB) | flagged | planted passages flagged |',
    '|---|---|---|---|---|---|',
    row('hashed TF-IDF (derived by the scan)', corpus.hashed),
    row(`provided ${corpus.dimensions}-d embeddings (.npy)`, corpus.embeddings),
  ]
}

try {
  const files = { mnist: join(folder, 'mnist.csv'), spam: join(folder, 'spam.jsonl') }
  await builtinDatasets.mnist.write(files.mnist)
  await builtinDatasets.spam.write(files.spam)
  const knn = benchScript('knn.mjs', `--runs=${runs}`, '--portable-queries=2000')
  const provenance = benchScript('provenance.mjs')
  const drift = benchScript('drift.mjs')
  const crowd = benchScript('crowd.mjs')
  const robust = benchScript('robust.mjs', `--runs=${runs}`)
  const service = benchScript('service.mjs')
  const corpus = benchScript('corpus.mjs')
  const scale = benchScript('scale.mjs')
  const models = benchScript('models.mjs')
  const distributed = benchScript('distributed.mjs')
  const peerMissing = cleanlabUnavailable()
  const cleanlab = peerMissing ? { unavailable: peerMissing } : cleanlabVersion()
  const scans = {
    mnist: { rows: builtinDatasets.mnist.rows, ...benchScan('mnist', files.mnist, peerMissing) },
    spam: { rows: builtinDatasets.spam.rows, ...benchScan('spam', files.spam, peerMissing) },
  }
  const backend = await createDefaultBackend()
  const quality = {
    mnist: await benchQuality('mnist', files.mnist, backend),
    spam: await benchQuality('spam', files.spam, backend),
  }
  log('attacks × detectors matrix …')
  const matrix = await runBenchmark({ backend })
  await backend.dispose()
  const results = {
    date: new Date().toISOString().slice(0, 10),
    machine: machine(),
    knn,
    provenance,
    drift,
    crowd,
    robust,
    service,
    corpus,
    scale,
    models,
    distributed,
    scans,
    cleanlab,
    quality,
    matrix,
  }
  const detectionSection = renderBenchMarkdown(matrix, {
    command: 'npm run bench',
    headingLevel: 2,
    context: machine(),
  })
  // The install-size and import-time notes are measured by hand (they need a packed install); kept as written.
  const footprint = readFileSync('bench/footprint.md', 'utf8')
  writeFileSync('BENCHMARKS.md', `${render(results)}\n${detectionSection}\n${footprint}`)
  writeFileSync('bench.json', `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(readFileSync('BENCHMARKS.md', 'utf8'))
} finally {
  rmSync(folder, { recursive: true, force: true })
}
