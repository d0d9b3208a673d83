// Exact k-NN of MNIST (10,000 × 784) against itself, and of its 64 PCA dimensions (what a scan searches): ONNX
// backend vs numpy (`X @ X.T` blocks and argpartition, OpenBLAS threads), interleaved run by run so both see the same
// load; then the portable backend and a naive triple loop. Build first (`npm run build`); prints one JSON object to
// stdout, progress to stderr. Options: --runs=3 --portable-queries=10000 --naive-queries=200 --k=10
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createOnnxBackend } from '../dist/linalg/onnx/index.js'
import { createPortableBackend } from '../dist/linalg/portable.js'
import { pca } from '../dist/linalg/svd.js'
import { createRng } from '../dist/util/rng.js'

const PIXELS = 784

function option(name, fallback) {
  const match = process.argv.find((arg) => arg.startsWith(`--${name}=`))
  return match ? Number(match.split('=')[1]) : fallback
}

function loadMnist() {
  const folder = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits')
  const digits = Array.from(
    { length: 10 },
    (_, d) => JSON.parse(readFileSync(join(folder, `${d}.json`), 'utf8')).data,
  )
  const rows = digits.reduce((sum, values) => sum + Math.floor(values.length / PIXELS), 0)
  const data = new Float32Array(rows * PIXELS)
  let offset = 0
  for (const values of digits) {
    const length = Math.floor(values.length / PIXELS) * PIXELS
    data.set(values.slice(0, length), offset)
    offset += length
  }
  return { data, rows, cols: PIXELS }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const seconds = (start) => (performance.now() - start) / 1000
const log = (message) => process.stderr.write(`${message}\n`)

async function timeRuns(runs, task) {
  const times = []
  let result
  for (let run = 0; run < runs; run++) {
    const start = performance.now()
    result = await task()
    times.push(seconds(start))
  }
  return { times, result }
}

/** Textbook search: every distance by a loop over the columns, top-k by insertion; no blocking, no tricks. */
function naiveKnn(matrix, queryCount, k, metric) {
  const { data, rows, cols } = matrix
  const indices = new Int32Array(queryCount * k)
  for (let q = 0; q < queryCount; q++) {
    const best = []
    for (let b = 0; b < rows; b++) {
      if (b === q) continue
      let distance = 0
      if (metric === 'euclidean') {
        for (let c = 0; c < cols; c++) distance += (data[q * cols + c] - data[b * cols + c]) ** 2
        distance = Math.sqrt(distance)
      } else {
        let dot = 0
        let qq = 0
        let bb = 0
        for (let c = 0; c < cols; c++) {
          dot += data[q * cols + c] * data[b * cols + c]
          qq += data[q * cols + c] ** 2
          bb += data[b * cols + c] ** 2
        }
        distance = qq === 0 || bb === 0 ? 1 : 1 - dot / Math.sqrt(qq * bb)
      }
      if (best.length < k || distance < best[best.length - 1][0]) {
        best.push([distance, b])
        best.sort((x, y) => x[0] - y[0])
        if (best.length > k) best.pop()
      }
    }
    best.forEach(([, b], i) => {
      indices[q * k + i] = b
    })
  }
  return indices
}

function agreement(a, b, length) {
  let same = 0
  for (let i = 0; i < length; i++) if (a[i] === b[i]) same++
  return same / length
}

const runs = option('runs', 3)
const k = option('k', 10)
const matrix = loadMnist()
const portableQueries = Math.min(option('portable-queries', matrix.rows), matrix.rows)
const naiveQueries = Math.min(option('naive-queries', 200), matrix.rows)
const fullFlop = 2 * matrix.rows * matrix.rows * matrix.cols
const summarise = (backend, metric, times, queries) => {
  const extrapolated = queries < matrix.rows
  const medianSeconds = median(times) * (matrix.rows / queries)
  return {
    backend,
    metric,
    queriesTimed: queries,
    extrapolated,
    medianSeconds: Number(medianSeconds.toFixed(4)),
    gflops: Number((fullFlop / medianSeconds / 1e9).toFixed(2)),
    runSeconds: times.map((time) => Number(time.toFixed(4))),
  }
}

// numpy's exact k-NN the usual way: squared norms minus twice a block of `X @ X.T`, the self match masked out,
// argpartition then a sort of the k kept. Times one search after a warm-up; prints wall and CPU seconds.
const numpyScript = `
import json, sys, time
import numpy as np
path, rows, cols, k, metric = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
x = np.fromfile(path, dtype=np.float32).reshape(rows, cols)
def knn(x):
    if metric == 'cosine':
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.where(norms == 0, 1, norms)
    squared = np.einsum('ij,ij->i', x, x)
    out = np.empty((rows, k), dtype=np.int64)
    for start in range(0, rows, 1024):
        end = min(start + 1024, rows)
        scores = squared[None, :] - 2 * (x[start:end] @ x.T)
        scores[np.arange(end - start), np.arange(start, end)] = np.inf
        part = np.argpartition(scores, k, axis=1)[:, :k]
        order = np.take_along_axis(scores, part, 1).argsort(1, kind='stable')
        out[start:end] = np.take_along_axis(part, order, 1)
    return out
knn(x)
wall, cpu = time.perf_counter(), time.process_time()
indices = knn(x)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
indices.astype(np.int32).tofile(path + '.indices')
print(json.dumps({'seconds': wall, 'cpuSeconds': cpu, 'numpy': np.__version__}))
`

const scratch = mkdtempSync(join(tmpdir(), 'poisonguard-knn-'))

/** One timed numpy search in a fresh python process, or the reason numpy could not run. */
function numpyKnn(input, metric) {
  const file = join(scratch, `${input.cols}.f32`)
  writeFileSync(file, new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength))
  const child = spawnSync('python3', ['-c', numpyScript, file, input.rows, input.cols, k, metric], {
    encoding: 'utf8',
  })
  if (child.status !== 0)
    return { skipped: (child.stderr || child.error?.message || 'python3 failed').trim() }
  const measured = JSON.parse(child.stdout.trim().split('\n').at(-1))
  return { ...measured, indices: new Int32Array(readFileSync(`${file}.indices`).buffer) }
}

/** ONNX and numpy on one input, one run of each per repetition, with CPU seconds (all threads) and agreement. */
async function compareWithNumpy(label, input, metric) {
  const options = { metric, excludeSelf: true }
  await onnx.knn(input, input, k, options)
  const ours = { times: [], cpu: [] }
  const theirs = { times: [], cpu: [] }
  let graph
  let numpy
  for (let run = 0; run < runs; run++) {
    log(`${label} ${metric}, run ${run + 1}/${runs}: onnx, numpy …`)
    const cpuStart = process.cpuUsage()
    const start = performance.now()
    graph = await onnx.knn(input, input, k, options)
    ours.times.push(seconds(start))
    const used = process.cpuUsage(cpuStart)
    ours.cpu.push((used.user + used.system) / 1e6)
    numpy = numpyKnn(input, metric)
    if (numpy.skipped) continue
    theirs.times.push(numpy.seconds)
    theirs.cpu.push(numpy.cpuSeconds)
  }
  const flop = 2 * input.rows * input.rows * input.cols
  const row = (times, cpu) => ({
    medianSeconds: Number(median(times).toFixed(4)),
    gflops: Number((flop / median(times) / 1e9).toFixed(1)),
    cpuSeconds: Number(median(cpu).toFixed(4)),
    coresUsed: Number((median(cpu) / median(times)).toFixed(2)),
    runSeconds: times.map((time) => Number(time.toFixed(4))),
  })
  return {
    input: label,
    rows: input.rows,
    cols: input.cols,
    metric,
    onnx: row(ours.times, ours.cpu),
    numpy: numpy.skipped
      ? { skipped: numpy.skipped }
      : {
          version: numpy.numpy,
          ...row(theirs.times, theirs.cpu),
          indexAgreement: Number(agreement(graph.indices, numpy.indices, input.rows * k).toFixed(4)),
        },
    speedUpOverNumpy: numpy.skipped
      ? undefined
      : Number((median(theirs.times) / median(ours.times)).toFixed(2)),
  }
}

const onnx = await createOnnxBackend({ threads: 2 })
const portable = createPortableBackend()
const loadBefore = loadavg()[0]
const projected = (await pca(matrix, 64, { rng: createRng(1), backend: onnx })).projected
const versusNumpy = []
for (const metric of ['euclidean', 'cosine'])
  versusNumpy.push(await compareWithNumpy('mnist', matrix, metric))
versusNumpy.push(await compareWithNumpy('mnist, 64 PCA dimensions', projected, 'euclidean'))
const loadAfter = loadavg()[0]
rmSync(scratch, { recursive: true, force: true })

const results = []
const agreements = {}
for (const metric of ['euclidean', 'cosine']) {
  const options = { metric, excludeSelf: true }
  log(`onnx ${metric}…`)
  const fast = await timeRuns(runs, () => onnx.knn(matrix, matrix, k, options))
  results.push(summarise('onnx', metric, fast.times, matrix.rows))

  log(`portable ${metric} (${portableQueries} queries)…`)
  const queries = {
    data: matrix.data.subarray(0, portableQueries * PIXELS),
    rows: portableQueries,
    cols: PIXELS,
  }
  const slow = await timeRuns(runs, () => portable.knn(matrix, queries, k, options))
  results.push(summarise('portable', metric, slow.times, portableQueries))

  log(`naive ${metric} (${naiveQueries} queries)…`)
  const naive = await timeRuns(runs, async () => naiveKnn(matrix, naiveQueries, k, metric))
  results.push(summarise('naive-loop', metric, naive.times, naiveQueries))

  const overlap = Math.min(portableQueries, naiveQueries) * k
  agreements[metric] = {
    onnxVsPortable: agreement(fast.result.indices, slow.result.indices, portableQueries * k),
    onnxVsNaive: agreement(fast.result.indices, naive.result, overlap),
  }
}

log('pca…')
await pca(matrix, 50, { rng: createRng(1), backend: onnx })
const pcaRuns = await timeRuns(runs, () => pca(matrix, 50, { rng: createRng(1), backend: onnx }))
const explained = pcaRuns.result.explainedVarianceRatio.reduce((sum, ratio) => sum + ratio, 0)
await onnx.dispose()

const report = {
  benchmark: 'exact k-NN, MNIST against itself, excludeSelf',
  dataset: { rows: matrix.rows, cols: matrix.cols },
  k,
  runs,
  flopPerSearch: fullFlop,
  note: 'GFLOP/s = 2·n·n·d / median seconds; rows with extrapolated = true timed a prefix of the queries and scale linearly',
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model, node: process.version },
  loadAverage: { before: Number(loadBefore.toFixed(2)), after: Number(loadAfter.toFixed(2)) },
  versusNumpy,
  results,
  neighbourIndexAgreement: agreements,
  pca: {
    rows: matrix.rows,
    cols: matrix.cols,
    components: 50,
    backend: 'onnx',
    medianSeconds: Number(median(pcaRuns.times).toFixed(4)),
    runSeconds: pcaRuns.times.map((time) => Number(time.toFixed(4))),
    explainedVarianceRatioSum: Number(explained.toFixed(4)),
  },
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
