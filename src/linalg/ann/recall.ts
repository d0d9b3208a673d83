import { type FeatureMatrix, selectRows } from '../../data/matrix.js'
import { createRng, shuffledIndices } from '../../util/rng.js'
import type { DistanceMetric, LinalgBackend, NeighbourGraph } from '../backend.js'

export interface RecallOptions {
  /** Rows whose exact neighbours are computed; the cost is sample × rows distances. */
  sample: number
  /** Neighbours compared per row (recall@at). */
  at: number
  seed: number
}

export interface RecallMeasurement {
  /** Share of the exact `at` nearest neighbours the graph found, averaged over the sampled rows, in [0,1]. */
  readonly recall: number
  readonly at: number
  readonly sample: number
}

// Distances come from float32 products whose rounding depends on the block they were computed in; far from the
// origin (raw table columns) one pair's distance differs by a few 1e-4 between two blockings.
const tieTolerance = 1e-3

/** Seeded sample of `count` distinct rows. */
export function sampleRows(rowCount: number, count: number, seed: number): Int32Array {
  return shuffledIndices(rowCount, createRng(seed)).subarray(0, Math.min(count, rowCount))
}

/** Exact `at` nearest neighbours of some rows of `matrix` among all of its rows, each row's own match left out. */
export interface SampleNeighbours {
  readonly rows: Int32Array
  readonly at: number
  /** `indices[i * at ..]`: the neighbours of `rows[i]`, nearest first. */
  readonly indices: Int32Array
  /** Distance of each sampled row's at-th nearest neighbour. */
  readonly limits: Float32Array
}

export async function searchSampleExactly(
  backend: LinalgBackend,
  matrix: FeatureMatrix,
  metric: DistanceMetric,
  rows: Int32Array,
  at: number,
): Promise<SampleNeighbours> {
  // The sampled rows are not the first base rows, so each query's own match is asked for and dropped here.
  const exact = await backend.knn(matrix, selectRows(matrix, rows), at + 1, { metric })
  const indices = new Int32Array(rows.length * at)
  const limits = new Float32Array(rows.length)
  rows.forEach((row, position) => {
    let kept = 0
    for (let rank = 0; rank <= at && kept < at; rank++) {
      const neighbour = exact.indices[position * (at + 1) + rank]
      if (neighbour === row) continue
      indices[position * at + kept] = neighbour
      limits[position] = exact.distances[position * (at + 1) + rank]
      kept++
    }
  })
  return { rows, at, indices, limits }
}

/**
 * Recall@at of a neighbour graph of `matrix` with itself against an exact search from a seeded sample of rows.
 * Ties count as found: a neighbour no farther than the exact at-th one is a true neighbour, whichever index the
 * exact search kept among equals.
 */
export async function measureNeighbourRecall(
  backend: LinalgBackend,
  matrix: FeatureMatrix,
  metric: DistanceMetric,
  graph: NeighbourGraph,
  options: RecallOptions,
): Promise<RecallMeasurement> {
  const at = Math.min(options.at, graph.k)
  const rows = sampleRows(matrix.rows, options.sample, options.seed)
  const exact = await searchSampleExactly(backend, matrix, metric, rows, at)
  let found = 0
  rows.forEach((row, position) => {
    const limit = exact.limits[position]
    const bound = limit + tieTolerance * Math.max(limit, 1e-3)
    for (let rank = 0; rank < at; rank++) if (graph.distances[row * graph.k + rank] <= bound) found++
  })
  return { recall: found / (at * rows.length), at, sample: rows.length }
}
