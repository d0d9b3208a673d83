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
  const sampleRows = shuffledIndices(matrix.rows, createRng(options.seed)).subarray(
    0,
    Math.min(options.sample, matrix.rows),
  )
  // The sampled rows are not the first base rows, so each query's own match is asked for and dropped here.
  const exact = await backend.knn(matrix, selectRows(matrix, sampleRows), at + 1, { metric })
  let found = 0
  sampleRows.forEach((row, position) => {
    const exactDistances = exact.distances.subarray(position * (at + 1), (position + 1) * (at + 1))
    const exactIndices = exact.indices.subarray(position * (at + 1), (position + 1) * (at + 1))
    const selfAt = exactIndices.indexOf(row)
    // Without the row itself, the at-th nearest is the last entry, or the one before when self was not among them.
    const limit = exactDistances[selfAt === -1 ? at - 1 : at]
    const bound = limit + tieTolerance * Math.max(limit, 1e-3)
    let hits = 0
    for (let rank = 0; rank < at; rank++) if (graph.distances[row * graph.k + rank] <= bound) hits++
    found += hits
  })
  return { recall: found / (at * sampleRows.length), at, sample: sampleRows.length }
}
