import { z } from 'zod'
import { defineDetector } from '../types.js'
import { type QueryEvidence, queryEvidence } from './campaigns.js'
import { foldText, matchQueries, pairFalseAlarmChances, topPositions } from './score.js'

const paramsSchema = z
  .object({
    verbatimBonus: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('added to the similarity of a document that holds the whole query word for word'),
    tailShare: z
      .number()
      .gt(0)
      .max(0.1)
      .default(0.001)
      .describe('share of query–document pairs that models the natural best matches'),
  })
  .strict()

/** Queries shorter than this many words are found inside honest documents too often to count when copied. */
const minVerbatimWords = 3

/**
 * Documents searched for a copy of each query: its best matches only, since a passage that holds the whole
 * question is among them, and reading every document for every query would dominate a large corpus's scan.
 */
const verbatimCandidates = 200

/** Adds the bonus to each query's pairs with documents that hold the whole query word for word. */
function addVerbatimBonus(
  scores: Float32Array,
  documents: readonly string[],
  queries: readonly string[],
  bonus: number,
): void {
  const rowCount = documents.length
  const folded = new Map<number, string>()
  queries.forEach((query, index) => {
    const needle = foldText(query)
    if (needle.trim().split(' ').length < minVerbatimWords) return
    const own = scores.subarray(index * rowCount, (index + 1) * rowCount)
    for (const row of topPositions(own, Math.min(verbatimCandidates, rowCount))) {
      if (!folded.has(row)) folded.set(row, foldText(documents[row]))
      if (folded.get(row)!.includes(needle)) own[row] += bonus
    }
  })
}

function explain(query: string, score: number, evidence: QueryEvidence, row: number): string {
  const parts = [
    `far closer to the query "${query.slice(0, 80)}" (score ${score.toFixed(2)}) than the corpus's natural matches`,
  ]
  if (evidence.campaign.has(row))
    parts.push(`one of ${evidence.campaign.size} passages for it whose answers are near-duplicates`)
  if (evidence.contradicting.has(row))
    parts.push(
      `its answer agrees with the ${evidence.majority.length} documents that best match the query less than half as well as they typically agree with each other (${evidence.agreement.get(row)!.toFixed(2)} against ${evidence.majorityAgreement.toFixed(2)})`,
    )
  return parts.join('; ')
}

/**
 * Retrieval-corpus poisoning: documents anomalously close to one expected query relative to how close the corpus
 * naturally comes to any query (hashed TF-IDF cosine), with the query's text copied word for word counting extra;
 * PoisonedRAG's passages are the question followed by the attacker's answer, so they sit far beyond the natural
 * best matches of their question. Two more pieces of evidence sharpen a suspect: it belongs to a campaign
 * (several passages for the same question whose answers are near-duplicates), and its answer contradicts what the
 * corpus's own best matches of the question say.
 * @see Zou, Geng, Wang, Jia. PoisonedRAG: Knowledge Corruption Attacks to Retrieval-Augmented Generation of Large
 *   Language Models. USENIX Security 2025 (arXiv 2402.07867, 2024).
 */
export const ragPoisoningDetector = defineDetector({
  id: 'rag-poisoning',
  kind: 'injection',
  summary:
    'Retrieval poisoning: documents far closer to one expected query than the corpus, copying it, in campaigns',
  requires: ['queries'],
  params: paramsSchema,
  async run(input, params, context) {
    const documents = input.dataset.texts!
    const queries = input.dataset.queries!
    const rowCount = input.rowCount
    const matches = matchQueries(documents, queries)
    const { scores } = matches
    context.onProgress?.(0.5)
    addVerbatimBonus(scores, documents, queries, params.verbatimBonus)
    const tailCount = Math.max(20, Math.ceil(params.tailShare * scores.length))
    const { chances: pairChances, logP } = pairFalseAlarmChances(scores, tailCount)
    context.onProgress?.(0.8)
    const chances = new Float64Array(rowCount).fill(1)
    const closest = new Int32Array(rowCount).fill(-1)
    let best = 0
    for (let pair = 0; pair < scores.length; pair++) {
      const row = pair % rowCount
      best = Math.max(best, scores[pair])
      if (pairChances[pair] < chances[row]) {
        chances[row] = pairChances[pair]
        closest[row] = Math.floor(pair / rowCount)
      }
    }
    const flagged = Uint8Array.from(chances, (chance) => (chance < 0.5 ? 1 : 0))
    const suspectsOf = new Map<number, number[]>()
    closest.forEach((query, row) => {
      if (!flagged[row]) return
      const suspects = suspectsOf.get(query)
      if (suspects) suspects.push(row)
      else suspectsOf.set(query, [row])
    })
    const evidence = [...suspectsOf].map(([query, suspects]) => queryEvidence(matches, query, suspects))
    const suspicion = Float32Array.from(chances, (chance) => 1 - chance)
    const byQuery = new Map(evidence.map((item) => [item.query, item]))
    const explanations = Array.from(closest, (query, row) =>
      !flagged[row]
        ? undefined
        : explain(queries[query], scores[query * rowCount + row], byQuery.get(query)!, row),
    )
    const attacks = evidence.flatMap((item) => {
      const planted = item.agreement.size
      const campaign = item.campaign.size > 0 ? `, ${item.campaign.size} of them near-duplicates` : ''
      const against =
        item.contradicting.size > 0
          ? `, ${item.contradicting.size} contradicting the corpus's best matches`
          : ''
      return [
        {
          kind: 'injection' as const,
          description: `${planted} documents planted for the query "${queries[item.query].slice(0, 80)}"${campaign}${against}`,
          records: planted,
        },
      ]
    })
    return {
      suspicion,
      flagged,
      explanations,
      falseAlarmChances: chances,
      datasetPValue: Math.min(1, Math.exp(logP(best))),
      attacks,
      info: {
        queries: queries.length,
        targetedQueries: attacks.length,
        campaigns: evidence.filter((item) => item.campaign.size > 0).length,
        contradicting: evidence.reduce((sum, item) => sum + item.contradicting.size, 0),
      },
      warnings: [],
    }
  },
})
