import type { FeatureMatrix } from '../../data/matrix.js'
import type { LinalgBackend } from '../backend.js'
import { assignToCentroids, trainCentroids } from './kmeans.js'
import { gatherRows, invertAssignment } from './rows.js'

/**
 * The lists' centroids grouped by k-means under about √lists group centroids: a row is compared with the group
 * centroids, then only with the centroids of the groups nearest its own, so giving rows their nearest of L lists
 * costs about rows · √L distances instead of rows · L.
 */
export interface CentroidIndex {
  readonly lists: number
  /** Absent where one group holds every list: rows need no search for their group. */
  readonly groupCentroids: FeatureMatrix | undefined
  /** The lists a group's rows are compared with, as list numbers and as one block of their centroids per group. */
  readonly candidateLists: readonly Int32Array[]
  readonly candidateCentroids: readonly FeatureMatrix[]
  /** The fewest candidate lists of any group: the most nearest lists a row can be given. */
  readonly reach: number
}

export interface CentroidIndexOptions {
  /** Lists each group's rows are compared with, at least (all of them if fewer); about √lists groups share them out. */
  readonly candidates: number
  readonly seed: number
}

// Group centroids are placed once over every list's centroid, a few thousand rows, so rounds cost nothing.
const groupIterations = 8

/** Groups the centroids and gives each group the centroids of its nearest groups, its own first. */
export async function buildCentroidIndex(
  backend: LinalgBackend,
  centroids: FeatureMatrix,
  options: CentroidIndexOptions,
): Promise<CentroidIndex> {
  const lists = centroids.rows
  const root = Math.sqrt(lists)
  const wanted = Math.min(lists, Math.ceil(options.candidates))
  // Where every group would be given every list, the groups only add searches: one group holds them all, and rows
  // are compared with every centroid at once.
  if (wanted === lists) {
    return {
      lists,
      groupCentroids: undefined,
      candidateLists: [Int32Array.from({ length: lists }, (_, list) => list)],
      candidateCentroids: [centroids],
      reach: lists,
    }
  }
  const groupCentroids = await trainCentroids(backend, centroids, {
    count: Math.max(1, Math.round(root)),
    sampleRows: lists,
    iterations: groupIterations,
    seed: options.seed,
  })
  const groupCount = groupCentroids.rows
  const members = invertAssignment(await assignToCentroids(backend, centroids, groupCentroids), groupCount)
  // A group's own centroid is at distance 0 from itself, so it comes first among its nearest groups.
  const nearestGroups = await assignToCentroids(backend, groupCentroids, groupCentroids, groupCount)
  const candidateLists: Int32Array[] = []
  for (let group = 0; group < groupCount; group++) {
    const chosen: number[] = []
    for (const other of nearestGroups.subarray(group * groupCount, (group + 1) * groupCount)) {
      if (chosen.length >= wanted) break
      chosen.push(...members.rows.subarray(members.starts[other], members.starts[other + 1]))
    }
    candidateLists.push(Int32Array.from(chosen))
  }
  return {
    lists,
    groupCentroids,
    candidateLists,
    candidateCentroids: candidateLists.map((chosen) => gatherRows(centroids, chosen)),
    reach: Math.min(...candidateLists.map((chosen) => chosen.length)),
  }
}

/**
 * Indices of the `count` (at most `index.reach`) nearest lists of every row among its group's candidates, nearest
 * first, `count` per row as `assignToCentroids` gives them; each group's rows are one block on the backend's kernel.
 */
export async function findNearestLists(
  backend: LinalgBackend,
  index: CentroidIndex,
  rows: FeatureMatrix,
  count: number,
): Promise<Int32Array> {
  const { groupCentroids } = index
  const groupCount = groupCentroids?.rows ?? 1
  const byGroup = groupCentroids
    ? invertAssignment(await assignToCentroids(backend, rows, groupCentroids), groupCount)
    : { rows: Int32Array.from({ length: rows.rows }, (_, row) => row), starts: Int32Array.of(0, rows.rows) }
  const nearest = new Int32Array(rows.rows * count)
  for (let group = 0; group < groupCount; group++) {
    const members = byGroup.rows.subarray(byGroup.starts[group], byGroup.starts[group + 1])
    if (members.length === 0) continue
    const candidates = index.candidateLists[group]
    const block = groupCentroids ? gatherRows(rows, members) : rows
    const local = await assignToCentroids(backend, block, index.candidateCentroids[group], count)
    members.forEach((row, position) => {
      for (let rank = 0; rank < count; rank++)
        nearest[row * count + rank] = candidates[local[position * count + rank]]
    })
  }
  return nearest
}
