import type { FeatureMatrix } from '../../data/matrix.js'
import type { DistanceMetric, LinalgBackend, NeighbourGraph } from '../backend.js'
import { prepareKnnProblem, rankingInputs } from '../neighbours.js'
import { assignToCentroids, trainCentroids } from './kmeans.js'
import { type IvfSearchPlan, isListSearching, type ListNeighbours } from './lists.js'
import { sampleRows, searchSampleExactly } from './recall.js'

/** How the inverted-file index is shaped; every field has a default fitted to the row count. */
export interface IvfOptions {
  /** Clusters (inverted lists); default about √(rows · probes) / 2, which evens out clustering and search cost. */
  lists?: number
  /**
   * Lists searched for each list's queries, its own included. Default: the fewest (from 8 to 256) that find
   * `targetRecall` of the exact 10 nearest neighbours of a sample of rows.
   */
  probes?: number
  /** Recall@10 the probes are tuned to on their sample, in (0,1]; default 0.97. */
  targetRecall?: number
  /** Seed of the k-means sample and starting centroids. */
  seed: number
  /** Called with the fraction of the search done, in [0,1]. */
  onProgress?: (fractionDone: number) => void
}

/** Settings the index was built with, for the report. */
export interface IvfShape {
  readonly lists: number
  readonly probes: number
}

// The list count is set for 32 probes (16 found 0.949 of the exact 10 nearest on 10,000 MNIST digits, 32 found
// 0.978); the probes actually searched are then tuned on a sample, since the data decides what a recall costs: 32
// found 0.997 on 100,000 noisy digits but 0.82 on 1,000,000 rows of 64-dimensional Gaussian blobs.
const nominalProbes = 32
const minimumProbes = 8
const maximumProbes = 256
const defaultTargetRecall = 0.97
const tuningSample = 500
const tuningAt = 10
// k-means places coarse centroids as well from 64 rows per list as from all of them, at a fraction of the cost.
const trainingRowsPerList = 64
const trainingIterations = 8

/** Rows grouped by list: list `l` holds `rows[starts[l] .. starts[l+1])`, in ascending row order. */
interface InvertedLists {
  readonly rows: Int32Array
  readonly starts: Int32Array
}

function invertAssignment(assignment: Int32Array, lists: number): InvertedLists {
  const starts = new Int32Array(lists + 1)
  for (const list of assignment) starts[list + 1]++
  for (let list = 0; list < lists; list++) starts[list + 1] += starts[list]
  const fill = starts.slice(0, lists)
  const rows = new Int32Array(assignment.length)
  assignment.forEach((list, row) => {
    rows[fill[list]++] = row
  })
  return { rows, starts }
}

/** A list's own rows first (the queries), then those of the nearest lists until `probes` lists and `minimum` rows. */
function candidateRows(
  inverted: InvertedLists,
  list: number,
  nearestLists: Int32Array,
  probes: number,
  minimum: number,
): Int32Array {
  const { rows, starts } = inverted
  const chosen = [list]
  let count = starts[list + 1] - starts[list]
  for (const other of nearestLists) {
    if (chosen.length >= probes && count >= minimum) break
    chosen.push(other)
    count += starts[other + 1] - starts[other]
  }
  // Tiny lists around a tiny list can fall short of k neighbours; the rest of the lists then make up the number.
  for (let other = 0; count < minimum && other < starts.length - 1; other++) {
    if (chosen.includes(other)) continue
    chosen.push(other)
    count += starts[other + 1] - starts[other]
  }
  const candidates = new Int32Array(count)
  let offset = 0
  for (const member of chosen) {
    candidates.set(rows.subarray(starts[member], starts[member + 1]), offset)
    offset += starts[member + 1] - starts[member]
  }
  return candidates
}

/** The given rows copied into one block; a plain loop, since a subarray per row costs more than its copy. */
function gatherRows(matrix: FeatureMatrix, rows: Int32Array): FeatureMatrix {
  const { cols } = matrix
  const source = matrix.data
  const data = new Float32Array(rows.length * cols)
  for (let position = 0; position < rows.length; position++) {
    const from = rows[position] * cols
    const to = position * cols
    for (let col = 0; col < cols; col++) data[to + col] = source[from + col]
  }
  return { data, rows: rows.length, cols }
}

/**
 * Neighbours of the rows of lists `[firstList, endList)` of a plan, one list at a time: each list's rows are
 * searched exactly among the rows of its probed lists. Progress counts the rows done.
 */
export async function searchListRange(
  backend: LinalgBackend,
  matrix: FeatureMatrix,
  plan: IvfSearchPlan,
  firstList: number,
  endList: number,
  onRowsDone?: (rowsDone: number) => void,
): Promise<ListNeighbours> {
  const { k, metric, probes, reach, starts } = plan
  const first = starts[firstList]
  const indices = new Int32Array((starts[endList] - first) * k)
  const distances = new Float32Array(indices.length)
  for (let list = firstList; list < endList; list++) {
    const size = starts[list + 1] - starts[list]
    if (size === 0) continue
    const nearestLists = plan.nearest.subarray(list * reach, (list + 1) * reach)
    const candidates = candidateRows(plan, list, nearestLists, probes, k + 1)
    const base = gatherRows(matrix, candidates)
    const queries = { data: base.data.subarray(0, size * base.cols), rows: size, cols: base.cols }
    const local = await backend.knn(base, queries, k, { metric, excludeSelf: true })
    const offset = (starts[list] - first) * k
    for (let entry = 0; entry < size * k; entry++) indices[offset + entry] = candidates[local.indices[entry]]
    distances.set(local.distances, offset)
    onRowsDone?.(starts[list + 1] - first)
  }
  return { indices, distances }
}

/** Neighbour lists in the plan's order put back in row order: a plain loop, as a subarray per row costs more. */
function byRow(found: ListNeighbours, plan: IvfSearchPlan): { indices: Int32Array; distances: Float32Array } {
  const { k, rows } = plan
  const indices = new Int32Array(rows.length * k)
  const distances = new Float32Array(rows.length * k)
  for (let position = 0; position < rows.length; position++) {
    const from = position * k
    const to = rows[position] * k
    for (let rank = 0; rank < k; rank++) {
      indices[to + rank] = found.indices[from + rank]
      distances[to + rank] = found.distances[from + rank]
    }
  }
  return { indices, distances }
}

/** The default list count for a row count: balances assigning rows to lists against searching the probed lists. */
export function defaultListCount(rowCount: number, probes: number): number {
  return Math.max(1, Math.round(Math.sqrt(rowCount * probes) / 2))
}

/**
 * The fewest probes whose lists hold `target` of the exact nearest neighbours of a sample of rows: each true
 * neighbour is found once its list is among the lists searched for the sampled row's own list.
 */
async function tuneProbes(
  backend: LinalgBackend,
  matrix: FeatureMatrix,
  metric: DistanceMetric,
  listOf: Int32Array,
  nearest: Int32Array,
  reach: number,
  options: { target: number; seed: number },
): Promise<number> {
  const rows = sampleRows(matrix.rows, tuningSample, options.seed)
  const exact = await searchSampleExactly(backend, matrix, metric, rows, tuningAt)
  // foundBy[p] counts the true neighbours first reached with p + 1 probes.
  const foundBy = new Float64Array(reach + 1)
  const rank = new Map<number, number>()
  rows.forEach((row, position) => {
    const own = listOf[row]
    rank.clear()
    rank.set(own, 0)
    for (let i = 0; i < reach; i++) rank.set(nearest[own * reach + i], i + 1)
    for (let j = 0; j < tuningAt; j++) {
      const at = rank.get(listOf[exact.indices[position * tuningAt + j]])
      if (at !== undefined) foundBy[at]++
    }
  })
  const wanted = options.target * rows.length * tuningAt
  let found = 0
  for (let probes = 1; probes <= reach + 1; probes++) {
    found += foundBy[probes - 1]
    if (probes >= minimumProbes && found >= wanted) return probes
  }
  return reach + 1
}

/**
 * Approximate k-NN graph of a matrix with itself (each row's own match left out) from an inverted-file index
 * (Jégou, Douze & Schmid 2011): k-means cuts the rows into lists, and the rows of each list are searched exactly,
 * by the backend's k-NN kernel, among the rows of the `probes` lists whose centroids are nearest to theirs. The cost
 * is rows × (probes · rows / lists) distances instead of rows², and the distances are the exact ones.
 * @see https://doi.org/10.1109/TPAMI.2010.57
 */
export async function searchNeighboursIvf(
  backend: LinalgBackend,
  matrix: FeatureMatrix,
  k: number,
  metric: DistanceMetric,
  options: IvfOptions,
): Promise<{ graph: NeighbourGraph; shape: IvfShape }> {
  const problem = prepareKnnProblem(matrix, matrix, k, { metric, excludeSelf: true })
  const wanted = options.lists ?? defaultListCount(matrix.rows, options.probes ?? nominalProbes)
  // Cosine neighbours are euclidean neighbours of the unit rows, so the lists are cut on those.
  const clustered = rankingInputs(problem).base
  const centroids = await trainCentroids(backend, clustered, {
    count: Math.min(wanted, matrix.rows),
    sampleRows: wanted * trainingRowsPerList,
    iterations: trainingIterations,
    seed: options.seed,
  })
  const lists = centroids.rows
  const listOf = await assignToCentroids(backend, clustered, centroids)
  const inverted = invertAssignment(listOf, lists)
  // Enough nearest lists to reach the minimum row count even where the nearest lists are small.
  const reach = Math.min(lists - 1, options.probes === undefined ? maximumProbes : options.probes * 4)
  const nearest =
    reach > 0
      ? await backend.knn(centroids, centroids, reach, { metric: 'euclidean', excludeSelf: true })
      : undefined
  const probes =
    options.probes ??
    (nearest
      ? await tuneProbes(backend, matrix, metric, listOf, nearest.indices, reach, {
          target: options.targetRecall ?? defaultTargetRecall,
          seed: options.seed + 2,
        })
      : 1)
  const plan: IvfSearchPlan = {
    k,
    metric,
    probes,
    rows: inverted.rows,
    starts: inverted.starts,
    nearest: nearest?.indices ?? new Int32Array(0),
    reach,
  }
  const found = isListSearching(backend)
    ? await backend.searchInvertedLists(matrix, plan, options.onProgress)
    : await searchListRange(backend, matrix, plan, 0, lists, (done) =>
        options.onProgress?.(done / matrix.rows),
      )
  const { indices, distances } = byRow(found, plan)
  return { graph: { rows: matrix.rows, k, indices, distances }, shape: { lists, probes } }
}
