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
import { encodeKnnModel, encodeMatmulModel, encodePairProductModel } from './graphs.js'

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
  pairProducts: InferenceSession
  matmul: InferenceSession
}

function queryBlockRows(baseRows: number): number {
  return Math.max(
    MIN_QUERY_BLOCK,
    Math.min(MAX_QUERY_BLOCK, Math.floor(SCORE_BUDGET / Math.max(baseRows, 1))),
  )
}

// Rows of a self-join block, a multiple of MINIMUM_RUN. A pair's scores are blockRows² floats, 576 KiB at 384 rows:
// they stay in a 2 MiB L2 cache while the minima are taken and the runs read. Measured on 10,000 MNIST rows (784
// pixels, k = 10, CPU seconds under load): 384 rows 0.91–0.96, 512 rows 1.00–1.02, 1024 rows 1.04–1.10.
const PAIR_BLOCK_ROWS = 384

// Below this many columns a matrix is searched against itself one-sidedly, as blocks of its rows searched apart
// (selfOffset) are: the two then agree to the bit. The self-join scores in double precision and halves the product,
// which dominates at more columns; at 64 it was faster too (10,000 MNIST rows in PCA space, k = 10: 0.23–0.29
// against 0.33–0.34 CPU s one-sided; k = 50: 0.45–0.46 against 0.53–0.56), but its distances differ in the last bits.
const SELF_JOIN_MIN_COLS = 256

/**
 * ONNX Runtime's Node binding rejects data in shared memory ("Invalid argument"), where a scan keeps what its worker
 * threads read: such data is copied to ordinary memory first (a block at a time for the one-sided search, whose
 * base is the whole matrix; once for the self-join, whose blocks are read many times).
 */
const ownMemory = (array: Float32Array): Float32Array =>
  typeof SharedArrayBuffer === 'function' && array.buffer instanceof SharedArrayBuffer ? array.slice() : array

// Runs of this many entries share one minimum in the pair model's output: a run is read only when its minimum
// beats a query's k-th best so far, which after the first blocks few do.
const MINIMUM_RUN = 32

/**
 * Bias of every row as float32, padded to a multiple of MINIMUM_RUN with 1e30: padding rows (all zero) then lie at
 * a squared distance of about 1e30 from every row, so their runs' minima are those of the real entries.
 */
function paddedBias(bias: Float64Array): Float32Array {
  const padded = new Float32Array(Math.ceil(bias.length / MINIMUM_RUN) * MINIMUM_RUN).fill(1e30)
  padded.set(bias)
  return padded
}

/**
 * Offers `count` entries of one row or column (`products[at + i * stride]`, base rows from `firstRow`) to a query,
 * each at the base row's bias plus the product: the same score, to the bit, whichever block holds the query.
 */
function offerRun(
  top: TopKBuffers,
  query: number,
  products: Float32Array,
  at: number,
  stride: number,
  bias: Float64Array,
  firstRow: number,
  count: number,
): void {
  let bound = top.bounds[query]
  for (let i = 0; i < count; i++, at += stride) {
    const score = bias[firstRow + i] + products[at]
    if (score <= bound) {
      top.offer(query, firstRow + i, score)
      bound = top.bounds[query]
    }
  }
}

/**
 * Offers one block pair's products to the queries of both blocks: row i's to query `left + i`, column j's to query
 * `right + j` (a diagonal pair only along rows, its columns holding the same pairs). A run of MINIMUM_RUN entries
 * is read only where its minimum squared distance, less the query's bias and `margin` (more than the float32
 * rounding of the minima), can be kept.
 */
function rankPair(
  output: Record<string, { data: unknown }>,
  pair: { left: number; leftRows: number; right: number; rightRows: number; width: number },
  bias: Float64Array,
  margin: number,
  top: TopKBuffers,
  scratch: Int32Array,
): void {
  const products = output.products.data as Float32Array
  const rowMinima = output.rowMinima.data as Float32Array
  const columnMinima = output.columnMinima.data as Float32Array
  const { left, leftRows, right, rightRows, width } = pair
  const bounds = top.bounds
  const runsPerRow = width / MINIMUM_RUN
  const diagonal = left === right
  for (let row = 0; row < leftRows; row++) {
    const query = left + row
    const lowest = bias[query] + margin
    const minima = row * runsPerRow
    // A diagonal pair comes first, when the query holds no candidates yet: its runs are read best minimum first,
    // so the bound tightens at once and the rest are skipped. Later pairs find it tight already.
    const order = scratch
    for (let run = 0; run < runsPerRow; run++) {
      let at = run
      if (diagonal) {
        while (at > 0 && rowMinima[minima + order[at - 1]] > rowMinima[minima + run]) {
          order[at] = order[at - 1]
          at--
        }
      }
      order[at] = run
    }
    for (let i = 0; i < runsPerRow; i++) {
      const run = order[i]
      if (rowMinima[minima + run] - lowest > bounds[query]) {
        if (diagonal) break
        continue
      }
      const first = run * MINIMUM_RUN
      const count = Math.min(MINIMUM_RUN, rightRows - first)
      offerRun(top, query, products, row * width + first, 1, bias, right + first, count)
    }
  }
  if (diagonal) return
  for (let start = 0; start < leftRows; start += MINIMUM_RUN) {
    const minima = (start / MINIMUM_RUN) * width
    const count = Math.min(MINIMUM_RUN, leftRows - start)
    for (let column = 0; column < rightRows; column++) {
      const query = right + column
      if (columnMinima[minima + column] - bias[query] - margin > bounds[query]) continue
      offerRun(top, query, products, start * width + column, width, bias, left + start, count)
    }
  }
}

/**
 * k-NN of a matrix against itself: each block pair (i ≤ j) is multiplied once and ranked along both axes, feeding
 * the queries of block i with their best rows of block j and those of block j with their best rows of block i.
 * The diagonal pairs go first: a row's own block tends to hold near rows (data often arrives grouped), and the
 * tighter bounds they leave let the other pairs skip more runs.
 */
async function searchSelfJoinOnnx(
  sessions: Sessions,
  problem: KnnProblem,
  inputs: RankingInputs,
  candidateCount: number,
  onProgress: ((fractionDone: number) => void) | undefined,
): Promise<NeighbourGraph> {
  const { ort } = sessions
  const { rows, cols } = inputs.base
  const data = ownMemory(inputs.base.data)
  const bias = paddedBias(inputs.baseBias)
  // The minima add both biases in float32, three roundings of at most 2⁻²⁴ of ‖l‖² + ‖r‖² + |2 l·r| each; rows
  // are unit for cosine.
  let largest = 1
  for (const value of inputs.baseBias) largest = Math.max(largest, value)
  const margin = 1e-5 * largest
  const paddedRows = bias.length
  const top = new TopKBuffers(rows, candidateCount)
  const scratch = new Int32Array(PAIR_BLOCK_ROWS / MINIMUM_RUN)
  const shape = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [3])
  // The last block is copied with its padding rows (zeros); the others are views of the rows.
  const lastStart = Math.floor((rows - 1) / PAIR_BLOCK_ROWS) * PAIR_BLOCK_ROWS
  const last = new Float32Array((paddedRows - lastStart) * cols)
  last.set(data.subarray(lastStart * cols))
  const block = (start: number) => {
    const end = Math.min(start + PAIR_BLOCK_ROWS, paddedRows)
    const rowsOf = start === lastStart ? last : data.subarray(start * cols, end * cols)
    return {
      rows: new ort.Tensor('float32', rowsOf, [end - start, cols]),
      bias: bias.subarray(start, end),
    }
  }
  const pairs: [number, number][] = []
  for (let start = 0; start < rows; start += PAIR_BLOCK_ROWS) pairs.push([start, start])
  for (let left = 0; left < rows; left += PAIR_BLOCK_ROWS)
    for (let right = left + PAIR_BLOCK_ROWS; right < rows; right += PAIR_BLOCK_ROWS) pairs.push([left, right])
  for (const [index, [left, right]] of pairs.entries()) {
    const leftBlock = block(left)
    const rightBlock = block(right)
    const [leftPadded, rightPadded] = [leftBlock.bias.length, rightBlock.bias.length]
    const output = await sessions.pairProducts.run({
      left: leftBlock.rows,
      right: rightBlock.rows,
      leftBias: new ort.Tensor('float32', leftBlock.bias, [leftPadded, 1]),
      rightBias: new ort.Tensor('float32', rightBlock.bias, [rightPadded]),
      rowGroups: shape([leftPadded, rightPadded / MINIMUM_RUN, MINIMUM_RUN]),
      columnGroups: shape([leftPadded / MINIMUM_RUN, MINIMUM_RUN, rightPadded]),
    })
    const leftRows = Math.min(left + PAIR_BLOCK_ROWS, rows) - left
    const rightRows = Math.min(right + PAIR_BLOCK_ROWS, rows) - right
    rankPair(
      output,
      { left, leftRows, right, rightRows, width: rightPadded },
      inputs.baseBias,
      margin,
      top,
      scratch,
    )
    onProgress?.((index + 1) / pairs.length)
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
  const pairProducts = await ort.InferenceSession.create(encodePairProductModel(), sessionOptions)
  const matmul = await ort.InferenceSession.create(encodeMatmulModel(), sessionOptions)
  let sessions: Sessions | undefined = { ort, knn, pairProducts, matmul }
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
        await Promise.all([
          released.knn.release(),
          released.pairProducts.release(),
          released.matmul.release(),
        ])
    },
  }
}
