import type { SparseMatrix } from '../../data/matrix.js'
import { featurizeText } from '../../features/text.js'
import { selectInPlace } from '../../stats/quantiles.js'

/** Documents and queries in one hashed TF-IDF space (IDF from the documents), and every pair's cosine. */
export interface QueryMatches {
  /** `queries × documents` row-major. */
  readonly scores: Float32Array
  readonly documents: SparseMatrix
  readonly queries: SparseMatrix
}

/** Query–document cosine similarities of hashed TF-IDF, `queries × documents` row-major; IDF from the documents. */
export function querySimilarities(documents: readonly string[], queries: readonly string[]): Float32Array {
  return matchQueries(documents, queries).scores
}

/** The documents and queries as hashed TF-IDF rows, and their cosine similarities. */
export function matchQueries(documents: readonly string[], queries: readonly string[]): QueryMatches {
  const options = { hashBits: 18, maxChars: 20_000 }
  const corpus = featurizeText(documents, options)
  const asked = featurizeText(queries, { ...options, idf: corpus.idf }).matrix
  const scores = new Float32Array(queries.length * documents.length)
  const byBucket = bucketPostings(corpus.matrix)
  const sums = new Float64Array(documents.length)
  for (let query = 0; query < queries.length; query++) {
    sums.fill(0)
    for (let k = asked.indptr[query]; k < asked.indptr[query + 1]; k++) {
      const bucket = asked.indices[k]
      const weight = asked.values[k]
      for (let entry = byBucket.starts[bucket]; entry < byBucket.starts[bucket + 1]; entry++)
        sums[byBucket.rows[entry]] += weight * byBucket.values[entry]
    }
    scores.set(sums, query * documents.length)
  }
  return { scores, documents: corpus.matrix, queries: asked }
}

/**
 * The documents' weights listed by bucket (the matrix in compressed columns), so a query visits only the documents
 * that share one of its few buckets instead of every document's every bucket.
 */
function bucketPostings(matrix: SparseMatrix): {
  starts: Int32Array
  rows: Int32Array
  values: Float32Array
} {
  const starts = new Int32Array(matrix.cols + 1)
  for (const bucket of matrix.indices) starts[bucket + 1]++
  for (let bucket = 0; bucket < matrix.cols; bucket++) starts[bucket + 1] += starts[bucket]
  const next = starts.slice(0, matrix.cols)
  const rows = new Int32Array(matrix.indices.length)
  const values = new Float32Array(matrix.indices.length)
  for (let row = 0; row < matrix.rows; row++) {
    for (let k = matrix.indptr[row]; k < matrix.indptr[row + 1]; k++) {
      const at = next[matrix.indices[k]]++
      rows[at] = row
      values[at] = matrix.values[k]
    }
  }
  return { starts, rows, values }
}

/** The `count` best-scoring positions of `scores`, best first, found in linear time rather than by a full sort. */
export function topPositions(scores: Float32Array, count: number): Int32Array {
  if (count <= 0) return new Int32Array(0)
  const threshold =
    count >= scores.length
      ? Number.NEGATIVE_INFINITY
      : selectInPlace(Float64Array.from(scores), scores.length - count)
  const above: number[] = []
  for (let position = 0; position < scores.length; position++)
    if (scores[position] >= threshold) above.push(position)
  above.sort((a, b) => scores[b] - scores[a] || a - b)
  return Int32Array.from(above.slice(0, count))
}

/** Lower case, punctuation to spaces, spaces collapsed: how a copied question is found inside a passage. */
export function foldText(text: string): string {
  return ` ${text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `
}

/**
 * How much closer a document is to a query than the corpus's natural best matches: the pair scores' upper tail is
 * modelled as exponential beyond the `tailCount`-th largest score (scale from the median excess, so a few planted
 * pairs cannot stretch it), and each pair's chance of being a false alarm is the tail's expected count of pairs at
 * least as close over the number observed (a Benjamini–Hochberg q-value).
 */
export function pairFalseAlarmChances(
  scores: Float32Array,
  tailCount: number,
): { chances: Float64Array; logP: (score: number) => number } {
  const count = Math.min(tailCount, scores.length - 1)
  // Only the tail is ordered: sorting every pair's index would cost more than the whole scan of a large corpus.
  const order = topPositions(scores, count + 1)
  const sorted = Float32Array.from(order, (position) => scores[position])
  const threshold = sorted[count]
  const excesses = Array.from(sorted.subarray(0, count), (score) => score - threshold).sort((a, b) => a - b)
  const scale = Math.max(1e-6, (excesses[Math.floor(count / 2)] ?? 0) / Math.LN2)
  const expectedAbove = (score: number) => count * Math.exp(-(score - threshold) / scale)
  const chances = new Float64Array(count).fill(1)
  for (let rank = 0; rank < count; rank++) {
    const expected = expectedAbove(sorted[rank])
    chances[rank] = Math.min(1, expected / (rank + 1))
  }
  // Step-up: a pair's q-value is the smallest of those of the pairs at or below its rank.
  for (let rank = count - 2; rank >= 0; rank--) chances[rank] = Math.min(chances[rank], chances[rank + 1])
  const byScore = new Float64Array(scores.length).fill(1)
  for (let rank = 0; rank < count; rank++) byScore[order[rank]] = chances[rank]
  return { chances: byScore, logP: (score) => Math.log(Math.min(1, expectedAbove(score))) }
}
