import type { InferenceSession } from 'onnxruntime-node'
import type { FeatureMatrix } from '../../data/matrix.js'
import { PoisonguardError } from '../../errors.js'
import type { KnnOptions, LinalgBackend, NeighbourGraph } from '../backend.js'
import { checkMatmulShapes } from '../dense.js'
import {
  type KnnProblem,
  NeighbourWriter,
  prepareKnnProblem,
  type RankingInputs,
  rankingInputs,
  TopKBuffers,
} from '../neighbours.js'
import { encodeKnnModel, encodeKnnPairModel, encodeMatmulModel } from './graphs.js'

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
  knnPair: InferenceSession
  matmul: InferenceSession
}

function queryBlockRows(baseRows: number): number {
  return Math.max(
    MIN_QUERY_BLOCK,
    Math.min(MAX_QUERY_BLOCK, Math.floor(SCORE_BUDGET / Math.max(baseRows, 1))),
  )
}

// Rows of a self-join block. A pair's scores (and their two ranked copies) are blockRows² floats: 1024 rows keep
// them at 4 MiB, within reach of the cache for low dimensions, while a product of 1024² × d amortises each call.
const PAIR_BLOCK_ROWS = 1024

// Below this many columns the product is cheap next to ranking, and ranking each pair both ways (plus merging
// the lists) costs more than the product it saves: measured on 10,000 MNIST rows, k = 50, 64 PCA dimensions took
// 1.56 s of CPU by pairs against 0.37 s one-sided, while 784 pixels (k = 10) took 1.06 s against 1.21 s.
const SELF_JOIN_MIN_COLS = 256

/** The low little-endian words of int64 row indices (indices fit in 31 bits). */
/**
 * ONNX Runtime's Node binding rejects data in shared memory ("Invalid argument"), where a scan keeps what its worker
 * threads read: such data is copied to ordinary memory first, a block at a time where the kernel reads blocks.
 */
const ownMemory = (array: Float32Array): Float32Array =>
  typeof SharedArrayBuffer === 'function' && array.buffer instanceof SharedArrayBuffer ? array.slice() : array

function lowWords(indices: BigInt64Array): Int32Array {
  return new Int32Array(indices.buffer, indices.byteOffset, indices.length * 2)
}

/**
 * k-NN of a matrix against itself: each block pair (i ≤ j) is scored once and ranked along both axes, feeding the
 * queries of block i with their best rows of block j and those of block j with their best rows of block i. Blocks
 * arrive in ascending row order for every query, so ties keep the lower index, as in the one-sided search.
 */
async function searchSelfJoinOnnx(
  sessions: Sessions,
  problem: KnnProblem,
  inputs: RankingInputs,
  candidateCount: number,
  onProgress: ((fractionDone: number) => void) | undefined,
): Promise<NeighbourGraph> {
  const { ort } = sessions
  const { data, rows, cols } = inputs.base
  const bias = Float32Array.from(inputs.baseBias)
  const top = new TopKBuffers(rows, candidateCount)
  const block = (start: number, end: number) =>
    new ort.Tensor('float32', ownMemory(data.subarray(start * cols, end * cols)), [end - start, cols])
  const count = (value: number) => new ort.Tensor('int64', BigInt64Array.of(BigInt(value)), [1])
  const blockCount = Math.ceil(rows / PAIR_BLOCK_ROWS)
  let pairsDone = 0
  for (let left = 0; left < rows; left += PAIR_BLOCK_ROWS) {
    const leftEnd = Math.min(left + PAIR_BLOCK_ROWS, rows)
    const leftRows = leftEnd - left
    const leftBlock = block(left, leftEnd)
    const leftBias = new ort.Tensor('float32', bias.subarray(left, leftEnd), [leftRows, 1])
    for (let right = left; right < rows; right += PAIR_BLOCK_ROWS) {
      const rightEnd = Math.min(right + PAIR_BLOCK_ROWS, rows)
      const rightRows = rightEnd - right
      const rowK = Math.min(candidateCount, rightRows)
      const columnK = Math.min(candidateCount, leftRows)
      const result = await sessions.knnPair.run({
        left: leftBlock,
        right: right === left ? leftBlock : block(right, rightEnd),
        leftBias,
        rightBias: new ort.Tensor('float32', bias.subarray(right, rightEnd), [rightRows]),
        rowK: count(rowK),
        columnK: count(columnK),
      })
      const rowIndices = lowWords(result.rowIndices.data as BigInt64Array)
      const rowScores = result.rowScores.data as Float32Array
      // Each list is sorted, so the first candidate a query's buffer turns away ends that list.
      for (let row = 0; row < leftRows; row++) {
        for (let at = row * rowK, end = at + rowK; at < end; at++) {
          if (!top.offer(left + row, right + rowIndices[at * 2], rowScores[at])) break
        }
      }
      // A diagonal pair's column ranking repeats its row ranking.
      if (right !== left) {
        const columnIndices = lowWords(result.columnIndices.data as BigInt64Array)
        const columnScores = result.columnScores.data as Float32Array
        for (let column = 0; column < rightRows; column++) {
          for (let at = column * columnK, end = at + columnK; at < end; at++) {
            if (!top.offer(right + column, left + columnIndices[at * 2], columnScores[at])) break
          }
        }
      }
      onProgress?.(++pairsDone / ((blockCount * (blockCount + 1)) / 2))
    }
  }
  const writer = new NeighbourWriter(problem, candidateCount)
  for (let row = 0; row < rows; row++) {
    const offset = row * candidateCount
    writer.write(row, top.indices.subarray(offset), top.scores.subarray(offset), top.counts[row])
  }
  return writer.graph()
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
  // One extra candidate so the query itself can be dropped by index wherever ties put it.
  const candidateCount = k + (problem.excludeSelf ? 1 : 0)
  if (queries === base && base.cols >= SELF_JOIN_MIN_COLS)
    return searchSelfJoinOnnx(sessions, problem, inputs, candidateCount, options.onProgress)
  const baseTensor = new ort.Tensor('float32', ownMemory(inputs.base.data), [base.rows, base.cols])
  const biasTensor = new ort.Tensor('float32', Float32Array.from(inputs.baseBias), [base.rows])
  const kTensor = new ort.Tensor('int64', BigInt64Array.of(BigInt(candidateCount)), [1])
  const writer = new NeighbourWriter(problem, candidateCount)
  const blockRows = queryBlockRows(base.rows)
  const { data, cols } = inputs.queries
  for (let start = 0; start < queries.rows; start += blockRows) {
    const end = Math.min(start + blockRows, queries.rows)
    const block = new ort.Tensor('float32', ownMemory(data.subarray(start * cols, end * cols)), [
      end - start,
      cols,
    ])
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
    a: new ort.Tensor('float32', ownMemory(a.data), [a.rows, a.cols]),
    b: new ort.Tensor('float32', ownMemory(b.data), [b.rows, b.cols]),
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
  const knnPair = await ort.InferenceSession.create(encodeKnnPairModel(), sessionOptions)
  const matmul = await ort.InferenceSession.create(encodeMatmulModel(), sessionOptions)
  let sessions: Sessions | undefined = { ort, knn, knnPair, matmul }
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
      if (released)
        await Promise.all([released.knn.release(), released.knnPair.release(), released.matmul.release()])
    },
  }
}
