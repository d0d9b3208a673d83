import type { SparseMatrix } from '../../data/matrix.js'
import { type QueryMatches, topPositions } from './score.js'

/** Planted passages of one query whose answers (their words besides the query's) are near-duplicates. */
const campaignSimilarity = 0.5

/** A suspect contradicts the corpus when it agrees with the majority less than this share as well as the majority agrees within. */
const contradictionShare = 0.5

/** Documents closest to a query that stand for what the corpus says about it. */
export const majoritySize = 10

/** What the documents planted for one query have in common, and how they compare with the corpus's answer. */
export interface QueryEvidence {
  readonly query: number
  /** Suspected passages of the query whose answers are near-duplicates of another's (a campaign), by row. */
  readonly campaign: ReadonlySet<number>
  /** The corpus's own best matches of the query, suspects left out. */
  readonly majority: readonly number[]
  /** Per suspect: mean answer similarity to the majority. */
  readonly agreement: ReadonlyMap<number, number>
  /** The median over majority documents of their mean answer similarity to the rest of the majority. */
  readonly majorityAgreement: number
  /** Suspects whose answer agrees with the majority less than half as well as the majority agrees within. */
  readonly contradicting: ReadonlySet<number>
}

/** Cosine of two rows over the buckets outside `excluded`: how alike two answers are once the question is removed. */
function answerSimilarity(matrix: SparseMatrix, a: number, b: number, excluded: ReadonlySet<number>): number {
  const { indptr, indices, values } = matrix
  let dot = 0
  let normA = 0
  let normB = 0
  let i = indptr[a]
  let j = indptr[b]
  while (i < indptr[a + 1] || j < indptr[b + 1]) {
    const left = i < indptr[a + 1] ? indices[i] : Number.POSITIVE_INFINITY
    const right = j < indptr[b + 1] ? indices[j] : Number.POSITIVE_INFINITY
    const bucket = Math.min(left, right)
    const x = left === bucket ? values[i++] : 0
    const y = right === bucket ? values[j++] : 0
    if (excluded.has(bucket)) continue
    dot += x * y
    normA += x * x
    normB += y * y
  }
  return normA > 0 && normB > 0 ? dot / Math.sqrt(normA * normB) : 0
}

function meanSimilarity(
  matrix: SparseMatrix,
  row: number,
  others: readonly number[],
  excluded: ReadonlySet<number>,
): number {
  const rest = others.filter((other) => other !== row)
  if (rest.length === 0) return 0
  return rest.reduce((sum, other) => sum + answerSimilarity(matrix, row, other, excluded), 0) / rest.length
}

/** Rows of `suspects` whose answers are near-duplicates of another suspect's. */
function campaignMembers(matrix: SparseMatrix, suspects: readonly number[], excluded: ReadonlySet<number>) {
  const members = new Set<number>()
  suspects.forEach((a, index) => {
    for (const b of suspects.slice(index + 1)) {
      if (answerSimilarity(matrix, a, b, excluded) < campaignSimilarity) continue
      members.add(a)
      members.add(b)
    }
  })
  return members
}

/**
 * For one query and the documents suspected of being planted for it: which suspects form a campaign (their
 * answers, the query's words left out, are near-duplicates of each other's), and which contradict the corpus (their
 * answer agrees with the query's best honest matches less than half as well as those typically agree with each other).
 * PoisonedRAG plants several passages per question, all asserting the attacker's one answer, which the documents
 * that honestly answer the question do not give.
 */
export function queryEvidence(
  matches: QueryMatches,
  query: number,
  suspects: readonly number[],
): QueryEvidence {
  const { scores, documents, queries } = matches
  const rowCount = documents.rows
  const excluded = new Set(queries.indices.subarray(queries.indptr[query], queries.indptr[query + 1]))
  const own = scores.subarray(query * rowCount, (query + 1) * rowCount)
  const suspected = new Set(suspects)
  const majority: number[] = []
  for (const row of topPositions(own, majoritySize + suspects.length)) {
    if (majority.length === majoritySize || own[row] <= 0) break
    if (!suspected.has(row)) majority.push(row)
  }
  const inner = majority
    .map((row) => meanSimilarity(documents, row, majority, excluded))
    .sort((a, b) => a - b)
  const majorityAgreement = inner[Math.floor(inner.length / 2)] ?? 0
  const agreement = new Map(suspects.map((row) => [row, meanSimilarity(documents, row, majority, excluded)]))
  const contradicting = new Set(
    majority.length < 3
      ? []
      : suspects.filter((row) => agreement.get(row)! < contradictionShare * majorityAgreement),
  )
  return {
    query,
    campaign: campaignMembers(documents, suspects, excluded),
    majority,
    agreement,
    majorityAgreement,
    contradicting,
  }
}
