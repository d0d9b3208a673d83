import { z } from 'zod'
import type { Detector } from '../types.js'
import { foldText, pairFalseAlarmChances, querySimilarities } from './score.js'

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

type Params = z.infer<typeof paramsSchema>

/** Queries shorter than this many words are found inside honest documents too often to count when copied. */
const minVerbatimWords = 3

/**
 * Retrieval-corpus poisoning: documents anomalously close to one expected query relative to how close the corpus
 * naturally comes to any query (hashed TF-IDF cosine), with the query's text copied word for word counting extra;
 * PoisonedRAG's passages are the question followed by the attacker's answer, so they sit far beyond the natural
 * best matches of their question.
 * @see Zou, Geng, Wang, Jia. PoisonedRAG: Knowledge Corruption Attacks to Retrieval-Augmented Generation of Large
 *   Language Models. USENIX Security 2025 (arXiv 2402.07867, 2024).
 */
export const ragPoisoningDetector: Detector<Params> = {
  id: 'rag-poisoning',
  kind: 'injection',
  summary:
    'Retrieval poisoning: documents far closer to one expected query than the corpus, or copying it verbatim',
  requires: ['queries'],
  params: paramsSchema,
  async run(input, params, context) {
    const documents = input.dataset.texts!
    const queries = input.dataset.queries!
    const rowCount = input.rowCount
    const scores = querySimilarities(documents, queries)
    context.onProgress?.(0.6)
    const folded = documents.map(foldText)
    queries.forEach((query, index) => {
      const needle = foldText(query)
      if (needle.trim().split(' ').length < minVerbatimWords) return
      const base = index * rowCount
      folded.forEach((document, row) => {
        if (document.includes(needle)) scores[base + row] += params.verbatimBonus
      })
    })
    const tailCount = Math.max(20, Math.ceil(params.tailShare * scores.length))
    const { chances: pairChances, logP } = pairFalseAlarmChances(scores, tailCount)
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
    const suspicion = Float32Array.from(chances, (chance) => 1 - chance)
    const flagged = Uint8Array.from(chances, (chance) => (chance < 0.5 ? 1 : 0))
    const explanations = Array.from(closest, (query, row) =>
      query < 0 || !flagged[row]
        ? undefined
        : `far closer to the query "${queries[query].slice(0, 80)}" (score ${scores[query * rowCount + row].toFixed(2)}) than the corpus's natural matches`,
    )
    const attacked = new Map<number, number>()
    closest.forEach((query, row) => {
      if (flagged[row]) attacked.set(query, (attacked.get(query) ?? 0) + 1)
    })
    return {
      suspicion,
      flagged,
      explanations,
      falseAlarmChances: chances,
      datasetPValue: Math.min(1, Math.exp(logP(best))),
      attacks: [...attacked].map(([query, records]) => ({
        kind: 'injection' as const,
        description: `${records} documents planted for the query "${queries[query].slice(0, 80)}"`,
        records,
      })),
      info: { queries: queries.length, targetedQueries: attacked.size },
      warnings: [],
    }
  },
}
