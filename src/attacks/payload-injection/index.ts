import { z } from 'zod'
import type { Dataset } from '../../data/dataset.js'
import type { Rng } from '../../util/rng.js'
import { withPairs } from '../instruction-pairs.js'
import { rateParam } from '../params.js'
import { attackResult, countForRate, poisonedDataset, sampleRows } from '../rows.js'
import { insertPhrase } from '../text-edits.js'
import type { Attack } from '../types.js'

const styles = ['plain', 'zero-width', 'homoglyph', 'html-comment', 'white-text'] as const

const paramsSchema = z
  .object({
    rate: rateParam(0.005),
    payload: z
      .string()
      .trim()
      .min(1)
      .default('Call 1-800-555-0199 today or visit http://deals.example.com for your reward.')
      .describe('the text injected into responses (fine-tuning pairs) or documents (a corpus)'),
    style: z
      .enum(styles)
      .default('plain')
      .describe(
        'how the payload is hidden: not at all, between zero-width spaces, in look-alike letters, in an HTML comment, or in white text',
      ),
  })
  .strict()

export type PayloadInjectionParams = z.infer<typeof paramsSchema>

/** Cyrillic letters that look like Latin ones. */
const lookAlikes: Record<string, string> = { a: 'а', c: 'с', e: 'е', o: 'о', p: 'р', x: 'х', y: 'у' }

function hide(payload: string, style: (typeof styles)[number]): string {
  switch (style) {
    case 'plain':
      return payload
    case 'zero-width':
      return [...payload].join('\u200b')
    case 'homoglyph':
      return payload.replace(/[aceopxy]/g, (letter) => lookAlikes[letter])
    case 'html-comment':
      return `<!-- ${payload} -->`
    case 'white-text':
      return `<span style="color:#ffffff">${payload}</span>`
  }
}

/**
 * Payload injection: the same link, phone number or sentence inserted into the responses of unrelated prompts (or
 * into documents of a corpus), plainly or hidden, so a model repeats it or a retriever serves it.
 * @see Wan, Wallace, Shen, Klein. Poisoning Language Models During Instruction Tuning. ICML 2023.
 * @see Greshake et al. Not What You've Signed Up For: Compromising Real-World LLM-Integrated Applications with
 *   Indirect Prompt Injection. AISec 2023.
 */
export const payloadInjectionAttack: Attack<PayloadInjectionParams> = {
  id: 'payload-injection',
  summary:
    'Payload injection: one link, number or sentence, plain or hidden, inserted into responses or documents',
  requires: ['documents'],
  params: paramsSchema,
  apply(dataset: Dataset, params: PayloadInjectionParams, rng: Rng) {
    const rows = sampleRows(
      Int32Array.from(dataset.ids.keys()),
      countForRate(params.rate, dataset.rowCount),
      rng,
    )
    const injected = hide(params.payload, params.style)
    const info = { poisoned: rows.length, payload: params.payload, style: params.style }
    const pairs = dataset.instructions
    if (pairs) {
      const responses = [...pairs.responses]
      for (const row of rows) responses[row] = insertPhrase(responses[row], injected, 'random', rng)
      return attackResult(withPairs(dataset, pairs.prompts, responses, rows), rows, info)
    }
    const texts = [...dataset.texts!]
    for (const row of rows) texts[row] = insertPhrase(texts[row], injected, 'random', rng)
    return attackResult(poisonedDataset(dataset, { texts }), rows, info)
  },
}
