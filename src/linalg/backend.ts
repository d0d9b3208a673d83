import type { FeatureMatrix } from '../data/matrix.js'

export type DistanceMetric = 'cosine' | 'euclidean'

/**
 * Nearest neighbours of each query row, `k` per row, nearest first. Row `r`'s neighbours are
 * `indices[r*k .. r*k+k)`. Distances: euclidean is the L2 distance, cosine is `1 - cosine similarity`.
 */
export interface NeighbourGraph {
  readonly rows: number
  readonly k: number
  readonly indices: Int32Array
  readonly distances: Float32Array
}

export interface KnnOptions {
  metric: DistanceMetric
  /** When the queries are the base itself: drop each row's match with itself. */
  excludeSelf?: boolean
  /**
   * With `excludeSelf`: query row r is base row r + selfOffset (default 0), so a block of the rows can be searched
   * on its own (another process, another machine) and give the same neighbours as in the whole search.
   */
  selfOffset?: number
  /** Called with the fraction done, in [0,1]. */
  onProgress?: (fractionDone: number) => void
}

/**
 * The numeric kernels that dominate run time, behind one interface so a faster backend (native, WebAssembly)
 * can replace the portable one without touching callers.
 */
export interface LinalgBackend {
  readonly name: string
  /** Exact k nearest neighbours of every row of `queries` among the rows of `base`. */
  knn(base: FeatureMatrix, queries: FeatureMatrix, k: number, options: KnnOptions): Promise<NeighbourGraph>
  /** Matrix product `a · b` (a: m×k, b: k×n). */
  matmul(a: FeatureMatrix, b: FeatureMatrix): Promise<FeatureMatrix>
  /** Releases native resources; the backend must not be used afterwards. */
  dispose(): Promise<void>
}
