import type { FeatureMatrix } from '../../data/matrix.js'
import type { DistanceMetric, LinalgBackend } from '../backend.js'

/**
 * An inverted-file index ready to search, in plain arrays: any range of its lists can be searched apart from the
 * others (in another process, on another machine) and gives the neighbours the whole search gives those rows.
 */
export interface IvfSearchPlan {
  readonly k: number
  readonly metric: DistanceMetric
  /** Lists each row is filed under: its own (its nearest centroid's) and the next nearest. */
  readonly probes: number
  /** Rows grouped by list: list `l` holds `rows[starts[l] .. starts[l+1])`, in ascending row order. */
  readonly rows: Int32Array
  readonly starts: Int32Array
  /**
   * Rows filed under each list besides its own, in ascending row order: list `l`'s are
   * `filed[filedStarts[l] .. filedStarts[l+1])`. A list's rows are searched among its own and these.
   */
  readonly filed: Int32Array
  readonly filedStarts: Int32Array
  /**
   * The `reach` nearest other lists of each list, nearest first: list `l`'s are `nearest[l·reach ..]`; their rows
   * make up the candidates of a list with fewer than k + 1 of its own.
   */
  readonly nearest: Int32Array
  readonly reach: number
}

/**
 * Neighbours of the rows of a range of lists, in the plan's order: position `p` holds the neighbours (row numbers of
 * the whole matrix, nearest first, `k` of them) of row `plan.rows[starts[first] + p]`.
 */
export interface ListNeighbours {
  readonly indices: Int32Array
  readonly distances: Float32Array
}

/**
 * A backend that searches all the lists of a plan itself, several at a time (as jobs on other processes), with
 * the result `searchListRange` gives over every list.
 */
export interface ListSearchingBackend extends LinalgBackend {
  searchInvertedLists(
    matrix: FeatureMatrix,
    plan: IvfSearchPlan,
    onProgress?: (fractionDone: number) => void,
  ): Promise<ListNeighbours>
}

/** Whether the backend searches a plan's lists itself; the others are given one list at a time. */
export function isListSearching(backend: LinalgBackend): backend is ListSearchingBackend {
  return typeof (backend as Partial<ListSearchingBackend>).searchInvertedLists === 'function'
}

/** Distances each list's search computes: its rows times its own and the rows filed under it. */
export function estimateListCosts(plan: IvfSearchPlan): Float64Array {
  const { starts, filedStarts } = plan
  const lists = starts.length - 1
  const costs = new Float64Array(lists)
  for (let list = 0; list < lists; list++) {
    const size = starts[list + 1] - starts[list]
    costs[list] = size * (size + filedStarts[list + 1] - filedStarts[list])
  }
  return costs
}
