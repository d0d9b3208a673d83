import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import type { DistanceMetric, KnnOptions, NeighbourGraph } from './backend.js'

const metrics: readonly DistanceMetric[] = ['cosine', 'euclidean']

/** A validated k-NN request with the per-row norms every backend needs for exact distances. */
export interface KnnProblem {
  readonly base: FeatureMatrix
  readonly queries: FeatureMatrix
  readonly k: number
  readonly metric: DistanceMetric
  readonly excludeSelf: boolean
  /** With `excludeSelf`: query row r is base row r + selfOffset. */
  readonly selfOffset: number
  /** L2 norm of each base row, in double precision. */
  readonly baseNorms: Float64Array
  readonly queryNorms: Float64Array
}

interface KnnIssue {
  code: 'UNKNOWN_NAME' | 'INVALID_ARGUMENT' | 'SHAPE_MISMATCH'
  message: string
}

function collectIssues(
  base: FeatureMatrix,
  queries: FeatureMatrix,
  k: number,
  options: KnnOptions,
): KnnIssue[] {
  const issues: KnnIssue[] = []
  if (!metrics.includes(options.metric)) {
    const message = `metric "${String(options.metric)}" is unknown; use one of ${metrics.join(', ')}`
    issues.push({ code: 'UNKNOWN_NAME', message })
  }
  if (!Number.isInteger(k) || k < 1) {
    issues.push({ code: 'INVALID_ARGUMENT', message: `k must be a positive integer, got ${k}` })
  }
  if (base.cols !== queries.cols) {
    const message = `queries have ${queries.cols} columns but the base has ${base.cols}`
    issues.push({ code: 'SHAPE_MISMATCH', message })
  }
  const selfOffset = options.selfOffset ?? 0
  if (options.excludeSelf && (!Number.isInteger(selfOffset) || selfOffset < 0)) {
    issues.push({
      code: 'INVALID_ARGUMENT',
      message: `selfOffset must be a non-negative integer, got ${selfOffset}`,
    })
  } else if (options.excludeSelf && queries.rows + selfOffset > base.rows) {
    const message = `excludeSelf needs the queries to be base rows from ${selfOffset} on, got ${queries.rows} queries for ${base.rows} base rows`
    issues.push({ code: 'SHAPE_MISMATCH', message })
  }
  return issues
}

/** Checks the arguments of `LinalgBackend.knn` and computes row norms; throws a PoisonguardError listing every problem. */
export function prepareKnnProblem(
  base: FeatureMatrix,
  queries: FeatureMatrix,
  k: number,
  options: KnnOptions,
): KnnProblem {
  const issues = collectIssues(base, queries, k, options)
  if (issues.length > 0) {
    throw new PoisonguardError(issues[0].code, `invalid k-NN request: ${issues[0].message}`, {
      issues: issues.map(({ message }) => ({ message })),
    })
  }
  const excludeSelf = options.excludeSelf === true
  const available = base.rows - (excludeSelf ? 1 : 0)
  if (k > available) {
    throw new PoisonguardError(
      'NOT_ENOUGH_DATA',
      `k-NN with k = ${k} needs at least ${k + (excludeSelf ? 1 : 0)} base rows, got ${base.rows}`,
      { hint: `use k ≤ ${Math.max(available, 0)} or provide more rows` },
    )
  }
  const baseNorms = rowNorms(base)
  const queryNorms = queries === base ? baseNorms : rowNorms(queries)
  const selfOffset = excludeSelf ? (options.selfOffset ?? 0) : 0
  return { base, queries, k, metric: options.metric, excludeSelf, selfOffset, baseNorms, queryNorms }
}

/** L2 norm of every row, accumulated in double precision. */
export function rowNorms(matrix: FeatureMatrix): Float64Array {
  const { data, rows, cols } = matrix
  const norms = new Float64Array(rows)
  for (let row = 0; row < rows; row++) {
    let sum = 0
    for (let offset = row * cols, end = offset + cols; offset < end; offset++)
      sum += data[offset] * data[offset]
    norms[row] = Math.sqrt(sum)
  }
  return norms
}

/** Copy of the matrix with every row scaled to unit L2 norm; all-zero rows stay zero. */
export function normaliseRows(matrix: FeatureMatrix, norms: Float64Array): FeatureMatrix {
  const { rows, cols } = matrix
  const data = new Float32Array(matrix.data)
  for (let row = 0; row < rows; row++) {
    const scale = norms[row] > 0 ? 1 / norms[row] : 0
    for (let offset = row * cols, end = offset + cols; offset < end; offset++) data[offset] *= scale
  }
  return { data, rows, cols }
}

/** Distance of query row `queryRow` to base row `baseRow` in double precision; a zero vector is at cosine distance 1. */
export function exactDistance(problem: KnnProblem, queryRow: number, baseRow: number): number {
  const { data: queryData, cols } = problem.queries
  const baseData = problem.base.data
  const queryOffset = queryRow * cols
  const baseOffset = baseRow * cols
  if (problem.metric === 'euclidean') {
    let sum = 0
    for (let col = 0; col < cols; col++) {
      const difference = queryData[queryOffset + col] - baseData[baseOffset + col]
      sum += difference * difference
    }
    return Math.sqrt(sum)
  }
  const queryNorm = problem.queryNorms[queryRow]
  const baseNorm = problem.baseNorms[baseRow]
  if (queryNorm === 0 || baseNorm === 0) return 1
  // ‖q/‖q‖ − b/‖b‖‖² / 2 equals 1 − cos but keeps full precision for near-parallel rows (exactly 0 for duplicates).
  let sum = 0
  for (let col = 0; col < cols; col++) {
    const difference = queryData[queryOffset + col] / queryNorm - baseData[baseOffset + col] / baseNorm
    sum += difference * difference
  }
  return Math.min(2, sum / 2)
}

/** What backends rank with: the score of base row b for query q is `baseBias[b] − 2 q·b` over these rows. */
export interface RankingInputs {
  readonly queries: FeatureMatrix
  readonly base: FeatureMatrix
  /** ‖b‖² for euclidean (the score is then the squared distance minus ‖q‖²); 0 for cosine, whose rows are unit. */
  readonly baseBias: Float64Array
}

/** Raw rows and squared norms for euclidean; unit-norm copies (zero rows stay zero) for cosine. */
export function rankingInputs(problem: KnnProblem): RankingInputs {
  if (problem.metric === 'euclidean') {
    const baseBias = problem.baseNorms.map((norm) => norm * norm)
    return { queries: problem.queries, base: problem.base, baseBias }
  }
  const base = normaliseRows(problem.base, problem.baseNorms)
  const queries = problem.queries === problem.base ? base : normaliseRows(problem.queries, problem.queryNorms)
  return { queries, base, baseBias: new Float64Array(base.rows) }
}

// Distances computed from ranking scores suffer cancellation when they are small next to the row norms (float32
// error is about 1e-6 of ‖q‖² + ‖b‖²); below this fraction they are recomputed exactly, so duplicates come out at 0.
const RECOMPUTE_BELOW = 1e-2

/**
 * Per-query sorted buffers of the k best (lowest) scores seen so far. Ties keep the lower base index whatever order
 * the candidates arrive in, so a search may visit base rows in any order.
 */
export class TopKBuffers {
  readonly indices: Int32Array
  readonly scores: Float64Array
  readonly counts: Int32Array
  /** Per query, the k-th best score once k are held (a candidate above it is not kept), +∞ before. */
  readonly bounds: Float64Array

  constructor(
    queryCount: number,
    private readonly k: number,
  ) {
    this.indices = new Int32Array(queryCount * k)
    this.scores = new Float64Array(queryCount * k)
    this.counts = new Int32Array(queryCount)
    this.bounds = new Float64Array(queryCount).fill(Number.POSITIVE_INFINITY)
  }

  /** Keeps the candidate if it is among the k best so far. */
  offer(query: number, baseRow: number, score: number): void {
    const { k, scores, indices } = this
    const bound = this.bounds[query]
    if (score > bound) return
    const offset = query * k
    const count = this.counts[query]
    if (count === k && score === bound && baseRow > indices[offset + k - 1]) return
    let position = count === k ? k - 1 : count
    if (count < k) this.counts[query] = count + 1
    while (
      position > 0 &&
      (scores[offset + position - 1] > score ||
        (scores[offset + position - 1] === score && indices[offset + position - 1] > baseRow))
    ) {
      scores[offset + position] = scores[offset + position - 1]
      indices[offset + position] = indices[offset + position - 1]
      position--
    }
    scores[offset + position] = score
    indices[offset + position] = baseRow
    if (count + 1 >= k) this.bounds[query] = scores[offset + k - 1]
  }
}

/**
 * Output buffers of a neighbour search. Backends rank base rows by the score `bias − 2 q·b` (bias ‖b‖² on raw rows for
 * euclidean, 0 on unit rows for cosine) and hand each query's best candidates, ascending, to `write`.
 */
export class NeighbourWriter {
  readonly indices: Int32Array
  readonly distances: Float32Array
  private readonly candidateIndices: Int32Array
  private readonly candidateDistances: Float64Array

  constructor(
    private readonly problem: KnnProblem,
    maxCandidates: number,
  ) {
    this.indices = new Int32Array(problem.queries.rows * problem.k)
    this.distances = new Float32Array(problem.queries.rows * problem.k)
    this.candidateIndices = new Int32Array(maxCandidates)
    this.candidateDistances = new Float64Array(maxCandidates)
  }

  /** The distance a ranking score stands for, recomputed exactly where the score is too imprecise. */
  distanceFromScore(queryRow: number, baseRow: number, score: number): number {
    const { metric, queryNorms, baseNorms } = this.problem
    if (metric === 'cosine') {
      const distance = 1 + score / 2
      return distance < RECOMPUTE_BELOW
        ? exactDistance(this.problem, queryRow, baseRow)
        : Math.min(2, distance)
    }
    const scale = queryNorms[queryRow] ** 2 + baseNorms[baseRow] ** 2
    const squared = score + queryNorms[queryRow] ** 2
    return squared < RECOMPUTE_BELOW * scale
      ? exactDistance(this.problem, queryRow, baseRow)
      : Math.sqrt(squared)
  }

  /**
   * Keeps the k nearest of one query's candidates (`indices[i * indexStride]` with ranking `scores[i]`), dropping the
   * query itself by index when excluding self, wherever ties put it; ties in distance go to the lower index.
   */
  write(
    queryRow: number,
    candidates: ArrayLike<number>,
    scores: ArrayLike<number>,
    count: number,
    indexStride = 1,
  ): void {
    const { k, excludeSelf, selfOffset } = this.problem
    const indices = this.candidateIndices
    const distances = this.candidateDistances
    let kept = 0
    for (let i = 0; i < count; i++) {
      const baseRow = candidates[i * indexStride]
      if (excludeSelf && baseRow === queryRow + selfOffset) continue
      const distance = this.distanceFromScore(queryRow, baseRow, scores[i])
      let position = kept++
      while (
        position > 0 &&
        (distances[position - 1] > distance ||
          (distances[position - 1] === distance && indices[position - 1] > baseRow))
      ) {
        distances[position] = distances[position - 1]
        indices[position] = indices[position - 1]
        position--
      }
      distances[position] = distance
      indices[position] = baseRow
    }
    const offset = queryRow * k
    for (let i = 0; i < k; i++) {
      this.indices[offset + i] = indices[i]
      this.distances[offset + i] = distances[i]
    }
  }

  graph(): NeighbourGraph {
    const { queries, k } = this.problem
    return { rows: queries.rows, k, indices: this.indices, distances: this.distances }
  }
}
