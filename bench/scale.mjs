// How each phase of a scan grows with the row count: MNIST tiled with noise (784 pixels) and a synthetic 64-column
// table at 10k, 100k (and 1M for the table), each size in a fresh process for its own peak RSS. Build first.
//   node bench/scale.mjs                      the suite; prints one JSON object (stdout), progress on stderr
//   node bench/scale.mjs --markdown           the suite, then the BENCHMARKS.md section
//   node bench/scale.mjs --sizes=mnist:10000,tabular:10000,text:10000   (text: short labelled texts)
//   node bench/scale.mjs --sizes=mnist:10000,mnist:100000 --detectors=near-duplicates   only those detectors, each
//     size after the features and neighbours it needs (the model and class spectra only if a detector asks)
//   node bench/scale.mjs run --data=tabular --rows=100000   one size in this process (what the suite spawns);
//     add --detectors=a,b to time only those (under --cpu-prof, say)
//   node bench/scale.mjs render small.json large.json   the section from several suites' JSON, their runs merged
//     (sizes run as separate suites, so each one's results are kept as soon as it ends)
//   node bench/scale.mjs whole --data=mnist --rows=100000   one full default scan as `poisonguard scan` runs it
//     (folds and detectors on worker threads, phases overlapping), timed from the data in memory to the report;
//     --max-mib=256 gives it a memory budget in MiB, as `scan --max-memory` does
//   node bench/scale.mjs save --data=tabular --rows=1000000 --out=dir   the features and 50-neighbour graph, saved
//   node bench/scale.mjs detector --saved=dir --detectors=feature-collision   those detectors alone on the saved
//     inputs, one JSON line each with CPU seconds and a hash of the output (to compare builds and row orders);
//     --repeat=2 runs each again in the same process (the second run without the compiler's warm-up)
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { availableParallelism, loadavg } from 'node:os'
import { renderScaleSection } from './scale-render.mjs'
import { makeDataset } from './synthetic-data.mjs'

const log = (message) => process.stderr.write(`${message}\n`)
const option = (name, fallback) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const defaultSizes = 'mnist:10000,mnist:100000,tabular:10000,tabular:100000,tabular:1000000'
// A size still running after this long is stopped; the phases it finished are kept.
const timeoutMinutes = Number(option('timeout-minutes', 25))

/** One size in this process: each shared analysis, then each detector alone, one JSON line per finished phase. */
async function runOne() {
  const kind = option('data', 'tabular')
  const rows = Number(option('rows', 10000))
  const { createDefaultBackend } = await import('../dist/linalg/default-backend.js')
  const { createWorkerFoldExecutor } = await import('../dist/parallel/worker-pool.js')
  const pipeline = await import('../dist/scan/pipeline.js')
  const { getDetector, selectDetectors } = await import('../dist/detectors/registry.js')
  const { defaultFusionOptions } = await import('../dist/scan/fusion.js')
  const { buildScanReport } = await import('../dist/scan/report.js')
  // Each record carries the peak RSS so far, so the phase that raised it shows.
  const emit = (record) =>
    process.stdout.write(
      `${JSON.stringify({ ...record, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
    )
  const dataset = await makeDataset(kind, rows)
  const backend = await createDefaultBackend()
  const executor = createWorkerFoldExecutor()
  // Process CPU time counts every thread (folds on workers, ONNX's pool): on a shared machine it moves far less with
  // the load than wall time does, so exponents are fitted to it.
  const cpuSince = (start) => {
    const used = process.cpuUsage(start)
    return (used.user + used.system) / 1e6
  }
  const timed = async (phase, task) => {
    const started = performance.now()
    const cpu = process.cpuUsage()
    const value = await task()
    emit({ phase, seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSince(cpu) })
    return value
  }
  try {
    const input = await timed('features', () =>
      pipeline.prepareDetectorInput(dataset, {
        backend,
        executor,
        neighbourSearch: { method: option('neighbours', 'auto') },
        onProgress: (step, fraction) => {
          if (step === 'neighbours' && fraction === 1) log(`  neighbours searched (${kind} ${rows})`)
        },
      }),
    )
    await timed('neighbours', () => input.neighbours(50))
    emit({ neighbourSearch: await input.neighbourSearch() })
    const only = option('detectors')?.split(',')
    // With chosen detectors (to profile them), the analyses they need are computed when they first ask.
    if (!only) {
      await timed('model', () => input.outOfFoldProbabilities())
      await timed('class spectra', () => input.classSpectra())
    }
    const configured = pipeline.configureDetectors(selectDetectors(only).map(getDetector))
    const outcomes = []
    for (const detector of configured) {
      const cpu = process.cpuUsage()
      const [outcome] = await pipeline.runDetectors(input, [detector])
      outcomes.push(outcome)
      const id = detector.detector.id
      if (outcome.status === 'ok')
        emit({
          detector: id,
          seconds: outcome.durationMs / 1000,
          cpuSeconds: cpuSince(cpu),
          // What a detector counts of its own work (pairs compared, distances computed), to tell data from code.
          ...(outcome.result.info?.work ? { work: outcome.result.info.work } : {}),
        })
      else emit({ detector: id, status: outcome.status, reason: outcome.reason })
    }
    await timed('fusion and report', async () => {
      const fused = pipeline.fuseOutcomes(dataset, outcomes, defaultFusionOptions)
      return buildScanReport(dataset, outcomes, fused, defaultFusionOptions, new Date())
    })
  } finally {
    await executor.close()
    await backend.dispose()
  }
  const usage = process.resourceUsage()
  // CPU seconds (every thread) next to wall seconds: on a shared machine the load average says how far apart they are.
  emit({
    maxRssMiB: Math.round(usage.maxRSS / 1024),
    cpuSeconds: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1e4) / 100,
    loadAverage: Math.round(loadavg()[0] * 10) / 10,
  })
}

/** One full default scan of generated data, set up as `scanFile` sets up a scan of a file; one JSON line. */
async function runWhole() {
  const kind = option('data', 'mnist')
  const rows = Number(option('rows', 100000))
  const { scan } = await import('../dist/scan/index.js')
  const { createWorkerDetectorExecutor } = await import('../dist/parallel/detector-executor.js')
  const { shareLoadedArraysPastBudget } = await import('../dist/data/shared-memory.js')
  const { createSpillFile } = await import('../dist/store/spill-file.js')
  // As `scanFile` does: with --max-mib=N a budget to spill past, and the columns in the one copy the workers share
  // where the scan may pass it.
  const maxMiB = option('max-mib')
  const spill = maxMiB === undefined ? undefined : createSpillFile()
  const memory = spill && { maxBytes: Number(maxMiB) * 2 ** 20, spill }
  const dataset = shareLoadedArraysPastBudget(await makeDataset(kind, rows), memory?.maxBytes)
  // As `scanFile` does: one set of workers, one per core, trains the folds and runs the detectors.
  const detectorExecutor = createWorkerDetectorExecutor({ eagerWorkers: availableParallelism() })
  const started = performance.now()
  const cpu = process.cpuUsage()
  try {
    const report = await scan(dataset, { executor: detectorExecutor, detectorExecutor, memory })
    const used = process.cpuUsage(cpu)
    const usage = process.resourceUsage()
    process.stdout.write(
      `${JSON.stringify({
        data: kind,
        rows,
        seconds: Math.round(performance.now() - started) / 1000,
        cpuSeconds: Math.round((used.user + used.system) / 1e4) / 100,
        maxRssMiB: Math.round(usage.maxRSS / 1024),
        loadAverage: Math.round(loadavg()[0] * 10) / 10,
        flagged: report.summary.flagged,
        detectors: report.detectors.map((detector) => `${detector.id}:${detector.status}`),
        neighbours: report.analyses?.neighbours,
        memory: report.analyses?.memory,
        targetedFlipPairs: report.detectors.find((detector) => detector.id === 'targeted-flip')?.info
          ?.attackedPairs,
      })}\n`,
    )
  } finally {
    spill?.close()
    await detectorExecutor.close()
  }
}

const savedArrays = { features: Float32Array, indices: Int32Array, distances: Float32Array }

/** The geometry and the shared neighbour graph of one size, saved so detectors can be timed alone on them. */
async function saveInputs() {
  const { mkdir, writeFile } = await import('node:fs/promises')
  const kind = option('data', 'tabular')
  const rows = Number(option('rows', 10000))
  const out = option('out')
  const { createDefaultBackend } = await import('../dist/linalg/default-backend.js')
  const { createWorkerFoldExecutor } = await import('../dist/parallel/worker-pool.js')
  const pipeline = await import('../dist/scan/pipeline.js')
  const backend = await createDefaultBackend()
  const executor = createWorkerFoldExecutor()
  try {
    const input = await pipeline.prepareDetectorInput(await makeDataset(kind, rows), { backend, executor })
    const graph = await input.neighbours(50)
    const arrays = { features: input.features.data, indices: graph.indices, distances: graph.distances }
    await mkdir(out, { recursive: true })
    for (const [name, array] of Object.entries(arrays))
      await writeFile(`${out}/${name}.bin`, new Uint8Array(array.buffer, array.byteOffset, array.byteLength))
    const meta = { kind, rows, cols: input.features.cols, k: graph.k, search: await input.neighbourSearch() }
    await writeFile(`${out}/meta.json`, JSON.stringify(meta))
  } finally {
    await executor.close()
    await backend.dispose()
  }
}

/** Chosen detectors alone on saved inputs: the data regenerated (same seed), the geometry and graph read back. */
async function timeSavedDetectors() {
  const { readFile } = await import('node:fs/promises')
  const { createHash } = await import('node:crypto')
  const saved = option('saved')
  const meta = JSON.parse(await readFile(`${saved}/meta.json`, 'utf8'))
  const read = async (name) => {
    const bytes = await readFile(`${saved}/${name}.bin`)
    return new savedArrays[name](bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
  }
  const dataset = await makeDataset(meta.kind, meta.rows)
  const graph = {
    rows: meta.rows,
    k: meta.k,
    indices: await read('indices'),
    distances: await read('distances'),
  }
  const { truncateGraph } = await import('../dist/scan/analysis.js')
  const cut = (k) => truncateGraph(graph, k)
  // A scan cuts the shared graph once for every detector that asks for fewer neighbours; cut here before the timing.
  const cuts = new Map([10, graph.k].map((k) => [k, cut(k)]))
  const input = {
    rowCount: meta.rows,
    ids: dataset.ids,
    labels: dataset.labels,
    dataset,
    features: { data: await read('features'), rows: meta.rows, cols: meta.cols },
    neighbours: async (k) => {
      if (!cuts.has(k)) cuts.set(k, cut(k))
      return cuts.get(k)
    },
  }
  const { getDetector, selectDetectors } = await import('../dist/detectors/registry.js')
  const pipeline = await import('../dist/scan/pipeline.js')
  const runs = Number(option('repeat', 1))
  for (let run = 1; run <= runs; run++)
    for (const configured of pipeline.configureDetectors(
      selectDetectors(option('detectors').split(',')).map(getDetector),
    )) {
      const cpu = process.cpuUsage()
      const [outcome] = await pipeline.runDetectors(input, [configured])
      const used = process.cpuUsage(cpu)
      const { suspicion, flagged, explanations, info, datasetPValue } = outcome.result ?? {}
      const hash = createHash('sha256')
      if (suspicion) hash.update(new Uint8Array(suspicion.buffer)).update(flagged)
      hash.update(JSON.stringify({ explanations, info, datasetPValue, status: outcome.status }))
      process.stdout.write(
        `${JSON.stringify({
          detector: configured.detector.id,
          rows: meta.rows,
          run,
          cpuSeconds: (used.user + used.system) / 1e6,
          hash: hash.digest('hex').slice(0, 16),
        })}\n`,
      )
    }
}

/** Runs one size in a child process and gathers its lines, keeping what it finished if it times out. */
function runChild(kind, rows) {
  return new Promise((resolve) => {
    const only = option('detectors')
    const args = [
      '--max-old-space-size=6144',
      'bench/scale.mjs',
      'run',
      `--data=${kind}`,
      `--rows=${rows}`,
      ...(only ? [`--detectors=${only}`] : []),
    ]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    const result = { data: kind, rows, phases: {}, detectors: {}, work: {}, skipped: {} }
    let buffered = ''
    const timer = setTimeout(() => {
      result.timedOutAfterMinutes = timeoutMinutes
      child.kill('SIGKILL')
    }, timeoutMinutes * 60_000)
    child.stdout.on('data', (chunk) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop()
      for (const line of lines) {
        const record = JSON.parse(line)
        if (record.phase) result.phases[record.phase] = [record.seconds, record.cpuSeconds, record.peakRssMiB]
        else if (record.detector && record.seconds !== undefined) {
          result.detectors[record.detector] = [record.seconds, record.cpuSeconds, record.peakRssMiB]
          if (record.work) result.work[record.detector] = record.work
        } else if (record.detector) result.skipped[record.detector] = record.reason
        else Object.assign(result, record)
      }
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      result.exitCode = code
      resolve(result)
    })
  })
}

async function suite() {
  const sizes = option('sizes', defaultSizes)
    .split(',')
    .map((size) => size.split(':'))
  const runs = []
  for (const [kind, rows] of sizes) {
    log(`scale: ${kind} × ${rows} …`)
    runs.push(await runChild(kind, Number(rows)))
  }
  const results = {
    date: new Date().toISOString().slice(0, 10),
    command: `node bench/scale.mjs --sizes=${option('sizes', defaultSizes)}${option('detectors') ? ` --detectors=${option('detectors')}` : ''}`,
    onnxruntime: createRequire(import.meta.url)('onnxruntime-node/package.json').version,
    runs,
  }
  process.stdout.write(
    process.argv.includes('--markdown')
      ? renderScaleSection(results)
      : `${JSON.stringify(results, null, 2)}\n`,
  )
}

/** One section from several suites' results: the runs of every file, each file's command named. */
async function renderFiles(paths) {
  const { readFile } = await import('node:fs/promises')
  const results = await Promise.all(paths.map(async (path) => JSON.parse(await readFile(path, 'utf8'))))
  process.stdout.write(
    renderScaleSection({
      date: [...new Set(results.map((result) => result.date))].join(', '),
      command: results.map((result) => result.command).join('`, `'),
      onnxruntime: [...new Set(results.map((result) => result.onnxruntime))].join(', '),
      runs: results.flatMap((result) => result.runs),
    }),
  )
}

if (process.argv[2] === 'run') await runOne()
else if (process.argv[2] === 'whole') await runWhole()
else if (process.argv[2] === 'save') await saveInputs()
else if (process.argv[2] === 'detector') await timeSavedDetectors()
else if (process.argv[2] === 'render') await renderFiles(process.argv.slice(3))
else await suite()
