import type { FeatureMatrix } from '../data/matrix.js'

/** A k-nearest-neighbour classifier: the training rows themselves. */
export interface KnnModel {
  readonly kind: 'knn'
  readonly neighbours: number
  readonly features: Float32Array
  readonly labels: Int32Array
  readonly cols: number
  readonly classCount: number
}

/** Stores the given rows; the labels vote at prediction time. */
export function fitKnn(
  x: FeatureMatrix,
  labels: Int32Array,
  rows: Int32Array,
  classCount: number,
  neighbours: number,
): KnnModel {
  const features = new Float32Array(rows.length * x.cols)
  for (let position = 0; position < rows.length; position++) {
    features.set(x.data.subarray(rows[position] * x.cols, (rows[position] + 1) * x.cols), position * x.cols)
  }
  return {
    kind: 'knn',
    neighbours,
    features,
    labels: Int32Array.from(rows, (row) => labels[row]),
    cols: x.cols,
    classCount,
  }
}

/** Inserts `distance` into the ascending `best` list of at most `limit`, keeping `owners` aligned. */
function keepNearest(best: Float64Array, owners: Int32Array, limit: number, distance: number, owner: number) {
  if (distance >= best[limit - 1]) return
  let slot = limit - 1
  while (slot > 0 && best[slot - 1] > distance) {
    best[slot] = best[slot - 1]
    owners[slot] = owners[slot - 1]
    slot--
  }
  best[slot] = distance
  owners[slot] = owner
}

/**
 * Calls `visit(row, owners, count)` for each row of `x` with the indices of its `count` nearest training rows in
 * Euclidean distance, nearest first (equal distances in training order); `owners` is reused between calls.
 */
export function visitNeighbourhoods(
  model: KnnModel,
  x: FeatureMatrix,
  visit: (row: number, owners: Int32Array, count: number) => void,
): void {
  const { features, labels, cols } = model
  const trainCount = labels.length
  const limit = Math.min(model.neighbours, trainCount)
  if (limit === 0) return
  const trainNorms = new Float64Array(trainCount)
  // Column-major training rows: each query value then adds to all dot products in one contiguous pass.
  const columns = new Float32Array(features.length)
  for (let train = 0; train < trainCount; train++) {
    for (let j = 0; j < cols; j++) {
      const value = features[train * cols + j]
      trainNorms[train] += value * value
      columns[j * trainCount + train] = value
    }
  }
  const best = new Float64Array(limit)
  const owners = new Int32Array(limit)
  const dots = new Float64Array(trainCount)
  for (let row = 0; row < x.rows; row++) {
    // ‖b‖² − 2a·b ranks like the distance; the query's zeros (most of an image) are skipped.
    const offset = row * cols
    dots.fill(0)
    for (let j = 0; j < cols; j++) {
      const value = x.data[offset + j]
      if (value === 0) continue
      const column = j * trainCount
      for (let train = 0; train < trainCount; train++) dots[train] += value * columns[column + train]
    }
    best.fill(Number.POSITIVE_INFINITY)
    for (let train = 0; train < trainCount; train++) {
      keepNearest(best, owners, limit, trainNorms[train] - 2 * dots[train], train)
    }
    visit(row, owners, limit)
  }
}

/** The plurality label of the first `count` owners; among tied labels, the one that reached the count first. */
export function neighbourVote(
  labels: Int32Array,
  owners: Int32Array,
  count: number,
  counts: Int32Array,
): number {
  counts.fill(0)
  let winner = labels[owners[0]]
  for (let slot = 0; slot < count; slot++) {
    const label = labels[owners[slot]]
    counts[label]++
    if (counts[label] > counts[winner]) winner = label
  }
  return winner
}

/**
 * The plurality label of each row's `neighbours` nearest training rows in Euclidean distance; among tied labels
 * the one that reached the count with nearer neighbours wins. An empty model predicts class 0.
 */
export function predictKnn(model: KnnModel, x: FeatureMatrix): Int32Array {
  const out = new Int32Array(x.rows)
  const counts = new Int32Array(model.classCount)
  visitNeighbourhoods(model, x, (row, owners, count) => {
    out[row] = neighbourVote(model.labels, owners, count, counts)
  })
  return out
}
