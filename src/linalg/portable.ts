import type { FeatureMatrix } from '../data/matrix.js'
import type { KnnOptions, LinalgBackend, NeighbourGraph } from './backend.js'
import { multiplyDense } from './dense.js'
import {
  type KnnProblem,
  NeighbourWriter,
  prepareKnnProblem,
  type RankingInputs,
  rankingInputs,
  TopKBuffers,
} from './neighbours.js'

// A block of queries (64 × d floats) stays in L1/L2 while a block of base rows streams past it; the score tile is
// QUERY_BLOCK × BASE_BLOCK, so memory stays bounded whatever the row count.
const QUERY_BLOCK = 64
const BASE_BLOCK = 128

/** Dot products of four consecutive query rows (from offset `q0`) with base rows [baseStart, +baseCount). */
function dotFourQueries(
  queries: Float32Array,
  q0: number,
  base: Float32Array,
  baseStart: number,
  baseCount: number,
  cols: number,
  tile: Float64Array,
  tileOffset: number,
): void {
  const q1 = q0 + cols
  const q2 = q1 + cols
  const q3 = q2 + cols
  let row = 0
  // Two base rows per sweep: six loads feed eight accumulators, which V8 keeps in registers.
  for (; row + 2 <= baseCount; row += 2) {
    const b0 = (baseStart + row) * cols
    const b1 = b0 + cols
    let s00 = 0
    let s10 = 0
    let s20 = 0
    let s30 = 0
    let s01 = 0
    let s11 = 0
    let s21 = 0
    let s31 = 0
    for (let col = 0; col < cols; col++) {
      const x = base[b0 + col]
      const y = base[b1 + col]
      const a0 = queries[q0 + col]
      const a1 = queries[q1 + col]
      const a2 = queries[q2 + col]
      const a3 = queries[q3 + col]
      s00 += a0 * x
      s10 += a1 * x
      s20 += a2 * x
      s30 += a3 * x
      s01 += a0 * y
      s11 += a1 * y
      s21 += a2 * y
      s31 += a3 * y
    }
    const t = tileOffset + row
    tile[t] = s00
    tile[t + 1] = s01
    tile[t + BASE_BLOCK] = s10
    tile[t + BASE_BLOCK + 1] = s11
    tile[t + 2 * BASE_BLOCK] = s20
    tile[t + 2 * BASE_BLOCK + 1] = s21
    tile[t + 3 * BASE_BLOCK] = s30
    tile[t + 3 * BASE_BLOCK + 1] = s31
  }
  for (; row < baseCount; row++) {
    for (let query = 0; query < 4; query++) {
      tile[tileOffset + query * BASE_BLOCK + row] = dot(
        queries,
        q0 + query * cols,
        base,
        (baseStart + row) * cols,
        cols,
      )
    }
  }
}

function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, length: number): number {
  let sum = 0
  for (let i = 0; i < length; i++) sum += a[aOffset + i] * b[bOffset + i]
  return sum
}

/** Dot products of queries [queryStart, +queryCount) with base rows [baseStart, +baseCount) into `tile`. */
function dotTile(
  queries: Float32Array,
  queryStart: number,
  queryCount: number,
  base: Float32Array,
  baseStart: number,
  baseCount: number,
  cols: number,
  tile: Float64Array,
): void {
  let query = 0
  for (; query + 4 <= queryCount; query += 4) {
    const q0 = (queryStart + query) * cols
    dotFourQueries(queries, q0, base, baseStart, baseCount, cols, tile, query * BASE_BLOCK)
  }
  for (; query < queryCount; query++) {
    for (let row = 0; row < baseCount; row++) {
      const product = dot(queries, (queryStart + query) * cols, base, (baseStart + row) * cols, cols)
      tile[query * BASE_BLOCK + row] = product
    }
  }
}

function searchQueryBlock(
  problem: KnnProblem,
  inputs: RankingInputs,
  queryStart: number,
  writer: NeighbourWriter,
  tile: Float64Array,
): void {
  const { k, excludeSelf } = problem
  const { queries, base, baseBias } = inputs
  const queryCount = Math.min(QUERY_BLOCK, queries.rows - queryStart)
  const top = new TopKBuffers(queryCount, k)
  for (let baseStart = 0; baseStart < base.rows; baseStart += BASE_BLOCK) {
    const baseCount = Math.min(BASE_BLOCK, base.rows - baseStart)
    dotTile(queries.data, queryStart, queryCount, base.data, baseStart, baseCount, base.cols, tile)
    for (let query = 0; query < queryCount; query++) {
      const self = excludeSelf ? queryStart + query + problem.selfOffset : -1
      for (let row = 0; row < baseCount; row++) {
        const baseRow = baseStart + row
        if (baseRow === self) continue
        top.offer(query, baseRow, baseBias[baseRow] - 2 * tile[query * BASE_BLOCK + row])
      }
    }
  }
  for (let query = 0; query < queryCount; query++) {
    const offset = query * k
    writer.write(
      queryStart + query,
      top.indices.subarray(offset),
      top.scores.subarray(offset),
      top.counts[query],
    )
  }
}

/** Exact k-NN by blocked dot products and per-query top-k buffers; never holds more than a small score tile. */
export function searchNeighboursPortable(
  base: FeatureMatrix,
  queries: FeatureMatrix,
  k: number,
  options: KnnOptions,
): NeighbourGraph {
  const problem = prepareKnnProblem(base, queries, k, options)
  const inputs = rankingInputs(problem)
  const writer = new NeighbourWriter(problem, k)
  const tile = new Float64Array(QUERY_BLOCK * BASE_BLOCK)
  for (let queryStart = 0; queryStart < queries.rows; queryStart += QUERY_BLOCK) {
    searchQueryBlock(problem, inputs, queryStart, writer, tile)
    options.onProgress?.(Math.min(1, (queryStart + QUERY_BLOCK) / queries.rows))
  }
  return writer.graph()
}

/** The pure TypeScript backend: browser-safe, single-threaded, and the reference for faster ones. */
export function createPortableBackend(): LinalgBackend {
  return {
    name: 'portable',
    knn: async (base, queries, k, options) => searchNeighboursPortable(base, queries, k, options),
    matmul: async (a, b) => multiplyDense(a, b),
    dispose: async () => {},
  }
}
