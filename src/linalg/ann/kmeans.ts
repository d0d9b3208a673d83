import { type FeatureMatrix, selectRows } from '../../data/matrix.js'
import { createRng, shuffledIndices } from '../../util/rng.js'
import type { LinalgBackend } from '../backend.js'

/**
 * Indices of the `count` nearest centroids (euclidean) of every row, nearest first (`count` per row): a k-NN search,
 * so it runs on the backend's fastest kernel (one fused product and top-k on ONNX) instead of a loop over centroids.
 */
export async function assignToCentroids(
  backend: LinalgBackend,
  rows: FeatureMatrix,
  centroids: FeatureMatrix,
  count = 1,
): Promise<Int32Array> {
  return (await backend.knn(centroids, rows, count, { metric: 'euclidean' })).indices
}

/**
 * Means of the rows of each cluster; an emptied cluster restarts at a random row so none stays dead. A new matrix
 * each round: a backend may take a matrix it was given for unchanging (a distributed one names it by its digest).
 */
function updateCentroids(
  rows: FeatureMatrix,
  assignment: Int32Array,
  previous: FeatureMatrix,
  pickRow: () => number,
): FeatureMatrix {
  const { cols } = rows
  const centroids = { data: new Float32Array(previous.data.length), rows: previous.rows, cols }
  const sums = new Float64Array(centroids.rows * cols)
  const counts = new Int32Array(centroids.rows)
  for (let row = 0; row < rows.rows; row++) {
    const cluster = assignment[row]
    counts[cluster]++
    for (let col = 0; col < cols; col++) sums[cluster * cols + col] += rows.data[row * cols + col]
  }
  for (let cluster = 0; cluster < centroids.rows; cluster++) {
    if (counts[cluster] === 0) {
      const source = pickRow() * cols
      centroids.data.set(rows.data.subarray(source, source + cols), cluster * cols)
      continue
    }
    for (let col = 0; col < cols; col++)
      centroids.data[cluster * cols + col] = sums[cluster * cols + col] / counts[cluster]
  }
  return centroids
}

export interface CentroidTraining {
  /** Centroids wanted; at most the number of training rows. */
  readonly count: number
  /** Rows drawn to train on; k-means on a sample places coarse centroids as well as on every row. */
  readonly sampleRows: number
  readonly iterations: number
  readonly seed: number
}

/** Lloyd's k-means (euclidean) on a seeded sample of the rows, started from distinct sampled rows. */
export async function trainCentroids(
  backend: LinalgBackend,
  matrix: FeatureMatrix,
  training: CentroidTraining,
): Promise<FeatureMatrix> {
  const rng = createRng(training.seed)
  const order = shuffledIndices(matrix.rows, rng)
  const sample = selectRows(matrix, order.subarray(0, Math.min(matrix.rows, training.sampleRows)))
  const count = Math.min(training.count, sample.rows)
  // The sample is already in random order, so its first rows are the random distinct starting points.
  let centroids: FeatureMatrix = {
    data: sample.data.slice(0, count * sample.cols),
    rows: count,
    cols: sample.cols,
  }
  for (let iteration = 0; iteration < training.iterations; iteration++) {
    const assignment = await assignToCentroids(backend, sample, centroids)
    centroids = updateCentroids(sample, assignment, centroids, () => rng.int(sample.rows))
  }
  return centroids
}
