import type { InferenceSession } from 'onnxruntime-node'
import type { FeatureMatrix } from '../../data/matrix.js'
import { PoisonguardError } from '../../errors.js'
import type { KnnOptions, LinalgBackend, NeighbourGraph } from '../backend.js'
import { checkMatmulShapes } from '../dense.js'
import { NeighbourWriter, prepareKnnProblem, rankingInputs } from '../neighbours.js'
import { encodeKnnModel, encodeMatmulModel } from './graphs.js'

type Ort = typeof import('onnxruntime-node')

/** Options of the ONNX Runtime backend. */
export interface OnnxBackendOptions {
  /** Threads inside one ONNX operator; defaults to 2. */
  threads?: number
}

// Scores of one query block are queryRows × baseRows floats; this caps them at 32 MiB.
const SCORE_BUDGET = 1 << 23
const MAX_QUERY_BLOCK = 1024
const MIN_QUERY_BLOCK = 16

interface Sessions {
  ort: Ort
  knn: InferenceSession
  matmul: InferenceSession
}

function queryBlockRows(baseRows: number): number {
  return Math.max(
    MIN_QUERY_BLOCK,
    Math.min(MAX_QUERY_BLOCK, Math.floor(SCORE_BUDGET / Math.max(baseRows, 1))),
  )
}

async function searchNeighboursOnnx(
  sessions: Sessions,
  base: FeatureMatrix,
  queries: FeatureMatrix,
  k: number,
  options: KnnOptions,
): Promise<NeighbourGraph> {
  const problem = prepareKnnProblem(base, queries, k, options)
  const { ort } = sessions
  const inputs = rankingInputs(problem)
  const baseTensor = new ort.Tensor('float32', inputs.base.data, [base.rows, base.cols])
  const biasTensor = new ort.Tensor('float32', Float32Array.from(inputs.baseBias), [base.rows])
  // One extra candidate so the query itself can be dropped by index wherever ties put it.
  const candidateCount = k + (problem.excludeSelf ? 1 : 0)
  const kTensor = new ort.Tensor('int64', BigInt64Array.of(BigInt(candidateCount)), [1])
  const writer = new NeighbourWriter(problem, candidateCount)
  const blockRows = queryBlockRows(base.rows)
  const { data, cols } = inputs.queries
  for (let start = 0; start < queries.rows; start += blockRows) {
    const end = Math.min(start + blockRows, queries.rows)
    const block = new ort.Tensor('float32', data.subarray(start * cols, end * cols), [end - start, cols])
    const result = await sessions.knn.run({
      queries: block,
      base: baseTensor,
      baseBias: biasTensor,
      k: kTensor,
    })
    const indices = result.indices.data as BigInt64Array
    const scores = result.scores.data as Float32Array
    // Row indices fit in 31 bits, so the low little-endian word of each int64 is the index.
    const words = new Int32Array(indices.buffer, indices.byteOffset, indices.length * 2)
    for (let row = 0; row < end - start; row++) {
      const offset = row * candidateCount
      writer.write(start + row, words.subarray(offset * 2), scores.subarray(offset), candidateCount, 2)
    }
    options.onProgress?.(end / queries.rows)
  }
  return writer.graph()
}

async function multiplyOnnx(sessions: Sessions, a: FeatureMatrix, b: FeatureMatrix): Promise<FeatureMatrix> {
  checkMatmulShapes(a, b)
  if (a.rows === 0 || b.cols === 0 || a.cols === 0) {
    return { data: new Float32Array(a.rows * b.cols), rows: a.rows, cols: b.cols }
  }
  const { ort } = sessions
  const result = await sessions.matmul.run({
    a: new ort.Tensor('float32', a.data, [a.rows, a.cols]),
    b: new ort.Tensor('float32', b.data, [b.rows, b.cols]),
  })
  return { data: result.product.data as Float32Array, rows: a.rows, cols: b.cols }
}

/** A backend running k-NN and matrix products as small ONNX graphs in onnxruntime-node (CPU). */
export async function createOnnxBackend(options: OnnxBackendOptions = {}): Promise<LinalgBackend> {
  const threads = options.threads ?? 2
  if (!Number.isInteger(threads) || threads < 1) {
    throw new PoisonguardError('INVALID_ARGUMENT', `threads must be a positive integer, got ${threads}`)
  }
  const ort: Ort = await import('onnxruntime-node')
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // Idle pool threads sleep instead of spinning: the scan's worker threads need those cores between products.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  }
  const knn = await ort.InferenceSession.create(encodeKnnModel(), sessionOptions)
  const matmul = await ort.InferenceSession.create(encodeMatmulModel(), sessionOptions)
  let sessions: Sessions | undefined = { ort, knn, matmul }
  const live = (): Sessions => {
    if (!sessions) throw new Error('the ONNX linear-algebra backend was disposed')
    return sessions
  }
  return {
    name: 'onnx',
    knn: async (base, queries, k, knnOptions) => searchNeighboursOnnx(live(), base, queries, k, knnOptions),
    matmul: async (a, b) => multiplyOnnx(live(), a, b),
    dispose: async () => {
      const released = sessions
      sessions = undefined
      if (released) await Promise.all([released.knn.release(), released.matmul.release()])
    },
  }
}
