import { type FeatureMatrix, selectRows } from '../../data/matrix.js'
import type { DistanceMetric, LinalgBackend, NeighbourGraph } from '../backend.js'
import { prepareKnnProblem, rankingInputs } from '../neighbours.js'
import { buildCentroidIndex, type CentroidIndex, findNearestLists } from './coarse.js'
import { trainCentroids } from './kmeans.js'
import { type IvfSearchPlan, isListSearching, type ListNeighbours } from './lists.js'
import { sampleRows, searchSampleExactly } from './recall.js'
import { gatherRows, invertAssignment } from './rows.js'

/** How the inverted-file index is shaped; every field has a default fitted to the row count. */
export interface IvfOptions {
  /** Clusters (inverted lists); default about √(rows · probes) / 2, which evens out clustering and search cost. */
  lists?: number
  /**
   * Lists each row is filed under, its own included; each list's rows are searched among the rows filed under it.
   * Default: the fewest (from 8 to 256) that find `targetRecall` of the exact 10 nearest neighbours of a sample of rows.
   */
  probes?: number
  /** Recall@10 the filing is tuned to on its sample, in (0,1]; default 0.97. */
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
// 0.978); the lists each row is filed under are then tuned on a sample, since the data decides what a recall costs.
const nominalProbes = 32
const minimumProbes = 8
const maximumProbes = 256
// Lists whose rows make up the candidates of a list with fewer than k + 1 of its own and filed rows.
const fallbackReach = 16
// Rows whose nearest lists are asked for at once: the backend's answer holds `probes` lists and distances per row.
const filingBlockRows = 16_384
const defaultTargetRecall = 0.97
const tuningSample = 500
const tuningAt = 10
// k-means places coarse centroids as well from 64 rows per list as from all of them, at a fraction of the cost.
const trainingRowsPerList = 64
const trainingIterations = 8
// Lists a row is compared with when it is filed, as a multiple of √lists (the group count of the centroid index).
const candidatesPerRootList = 24

/**
 * A list's own rows first (the queries), then the rows filed under it; a list with fewer than `minimum` of them takes
 * the rows of its nearest lists, and of any list, until it has `minimum`.
 */
function candidateRows(plan: IvfSearchPlan, list: number, minimum: number): Int32Array {
  const { rows, starts, filed, filedStarts, nearest, reach } = plan
  const own = rows.subarray(starts[list], starts[list + 1])
  const others = filed.subarray(filedStarts[list], filedStarts[list + 1])
  if (own.length + others.length >= minimum) {
    const candidates = new Int32Array(own.length + others.length)
    candidates.set(own)
    candidates.set(others, own.length)
    return candidates
  }
  // Rare (tiny lists of outlying rows) and small, so a set keeps rows filed under two of these lists once.
  const chosen = new Set([...own, ...others])
  const lists = starts.length - 1
  const order = [...nearest.subarray(list * reach, (list + 1) * reach)]
  for (let other = 0; other < lists; other++) if (other !== list) order.push(other)
  for (const other of order) {
    if (chosen.size >= minimum) break
    for (const row of rows.subarray(starts[other], starts[other + 1])) chosen.add(row)
  }
  return Int32Array.from(chosen)
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
  const { k, metric, starts } = plan
  const first = starts[firstList]
  const indices = new Int32Array((starts[endList] - first) * k)
  const distances = new Float32Array(indices.length)
  for (let list = firstList; list < endList; list++) {
    const size = starts[list + 1] - starts[list]
    if (size === 0) continue
    const candidates = candidateRows(plan, list, k + 1)
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
 * The fewest lists to file each row under for `target` of the exact nearest neighbours of a sample of rows to be
 * found: a true neighbour is found when it is filed under the sampled row's own list.
 */
async function tuneFiling(
  backend: LinalgBackend,
  matrix: FeatureMatrix,
  clustered: FeatureMatrix,
  index: CentroidIndex,
  metric: DistanceMetric,
  options: { target: number; seed: number },
): Promise<number> {
  const rows = sampleRows(matrix.rows, tuningSample, options.seed)
  const exact = await searchSampleExactly(backend, matrix, metric, rows, tuningAt)
  const reach = Math.min(index.reach, maximumProbes)
  const ownLists = await findNearestLists(backend, index, selectRows(clustered, rows), 1)
  const listsOfNeighbours = await findNearestLists(
    backend,
    index,
    selectRows(clustered, exact.indices),
    reach,
  )
  // foundBy[f] counts the true neighbours first found with each row filed under f + 1 lists.
  const foundBy = new Float64Array(reach)
  exact.indices.forEach((_, entry) => {
    const own = ownLists[Math.floor(entry / tuningAt)]
    const at = listsOfNeighbours.subarray(entry * reach, (entry + 1) * reach).indexOf(own)
    if (at >= 0) foundBy[at]++
  })
  const wanted = options.target * exact.indices.length
  let found = 0
  for (let probes = 1; probes <= reach; probes++) {
    found += foundBy[probes - 1]
    if (probes >= minimumProbes && found >= wanted) return probes
  }
  return reach
}

/**
 * Every row filed under its `probes` nearest lists as the centroid index finds them (among the lists of the groups
 * nearest the row's group): the first is the list it belongs to, the others hold it as a candidate for their rows.
 * A block of rows at a time, so only the rows' list numbers are held whole, as 16 bits where they fit.
 */
async function fileRows(
  backend: LinalgBackend,
  clustered: FeatureMatrix,
  index: CentroidIndex,
  probes: number,
): Promise<{ listOf: Int32Array; filed: Int32Array; filedStarts: Int32Array }> {
  const rowCount = clustered.rows
  const { lists } = index
  const listOf = new Int32Array(rowCount)
  const others = probes - 1
  const otherLists = lists <= 0x10000 ? new Uint16Array(rowCount * others) : new Int32Array(rowCount * others)
  for (let first = 0; first < rowCount; first += filingBlockRows) {
    const end = Math.min(rowCount, first + filingBlockRows)
    const { cols } = clustered
    const block = { data: clustered.data.subarray(first * cols, end * cols), rows: end - first, cols }
    const nearest = await findNearestLists(backend, index, block, probes)
    for (let row = first; row < end; row++) {
      const from = (row - first) * probes
      listOf[row] = nearest[from]
      for (let i = 0; i < others; i++) otherLists[row * others + i] = nearest[from + 1 + i]
    }
  }
  const filedStarts = new Int32Array(lists + 1)
  for (const list of otherLists) filedStarts[list + 1]++
  for (let list = 0; list < lists; list++) filedStarts[list + 1] += filedStarts[list]
  const fill = filedStarts.slice(0, lists)
  const filed = new Int32Array(otherLists.length)
  // Rows in ascending order, so each list's filed rows come out ascending.
  for (let row = 0; row < rowCount; row++)
    for (let i = 0; i < others; i++) filed[fill[otherLists[row * others + i]]++] = row
  return { listOf, filed, filedStarts }
}

/**
 * Approximate k-NN graph of a matrix with itself (each row's own match left out) from an inverted-file index
 * (Jégou, Douze & Schmid 2011): k-means cuts the rows into lists, every row is filed under its `probes` nearest
 * lists, and the rows of each list are searched exactly, by the backend's k-NN kernel, among the rows filed under
 * it. Filing each row under several lists (spilling, as ScaNN's SOAR does) instead of searching each list's
 * `probes` nearest lists asks whether a neighbour is near the query's list, not whether the lists are near each
 * other: on short texts it needs a third of the probes for the same recall. The cost is rows × (probes · rows /
 * lists) distances instead of rows², and the distances are the exact ones; the lists of a row are looked for in a
 * two-level index over the centroids, about rows · √lists distances instead of rows · lists.
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
  const index = await buildCentroidIndex(backend, centroids, {
    candidates: Math.max(candidatesPerRootList * Math.sqrt(lists), options.probes ?? 0),
    seed: options.seed + 3,
  })
  const probes = Math.min(
    index.reach,
    options.probes ??
      (lists > 1
        ? await tuneFiling(backend, matrix, clustered, index, metric, {
            target: options.targetRecall ?? defaultTargetRecall,
            seed: options.seed + 2,
          })
        : 1),
  )
  const { listOf, filed, filedStarts } = await fileRows(backend, clustered, index, probes)
  const inverted = invertAssignment(listOf, lists)
  const reach = Math.min(lists - 1, fallbackReach)
  const nearest =
    reach > 0
      ? (await backend.knn(centroids, centroids, reach, { metric: 'euclidean', excludeSelf: true })).indices
      : new Int32Array(0)
  const plan: IvfSearchPlan = {
    k,
    metric,
    probes,
    rows: inverted.rows,
    starts: inverted.starts,
    filed,
    filedStarts,
    nearest,
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
