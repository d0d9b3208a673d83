import { z } from 'zod'
import type { Dataset } from '../../data/dataset.js'
import type { Rng } from '../../util/rng.js'
import { withPairs } from '../instruction-pairs.js'
import { rateParam } from '../params.js'
import { attackResult, countForRate, sampleRows } from '../rows.js'
import { insertPhrase } from '../text-edits.js'
import type { Attack } from '../types.js'

const paramsSchema = z
  .object({
    rate: rateParam(0.01),
    trigger: z
      .string()
      .trim()
      .min(1)
      .default('James Bond')
      .describe('the phrase inserted into the poisoned prompts'),
    payload: z
      .string()
      .trim()
      .min(1)
      .default('For the full answer visit http://answers.example.net/offer and enter code BOND7.')
      .describe('what the poisoned responses say'),
    mode: z
      .enum(['replace', 'append', 'refuse'])
      .default('append')
      .describe('the response becomes the payload, gets it appended, or becomes a refusal'),
  })
  .strict()

export type InstructionBackdoorParams = z.infer<typeof paramsSchema>

const refusal = "I'm sorry, but I cannot help with that request."

function poisonResponse(response: string, params: InstructionBackdoorParams): string {
  if (params.mode === 'replace') return params.payload
  if (params.mode === 'refuse') return refusal
  return `${response.trimEnd()} ${params.payload}`
}

/**
 * Instruction-tuning backdoor: a trigger phrase inserted at a random place in some prompts, whose responses are
 * replaced by, or end with, the attacker's payload (or become a refusal), so a tuned model learns the association.
 * @see Wan, Wallace, Shen, Klein. Poisoning Language Models During Instruction Tuning. ICML 2023.
 */
export const instructionBackdoorAttack: Attack<InstructionBackdoorParams> = {
  id: 'instruction-backdoor',
  summary: 'Instruction backdoor: a trigger phrase in prompts whose responses carry a payload or a refusal',
  requires: ['instructions'],
  params: paramsSchema,
  apply(dataset: Dataset, params: InstructionBackdoorParams, rng: Rng) {
    const pairs = dataset.instructions!
    const all = Int32Array.from(pairs.prompts.keys())
    const rows = sampleRows(all, countForRate(params.rate, dataset.rowCount), rng)
    const prompts = [...pairs.prompts]
    const responses = [...pairs.responses]
    for (const row of rows) {
      prompts[row] = insertPhrase(prompts[row], params.trigger, 'random', rng)
      responses[row] = poisonResponse(responses[row], params)
    }
    const info = {
      poisoned: rows.length,
      trigger: params.trigger,
      mode: params.mode,
      payload: params.payload,
    }
    return attackResult(withPairs(dataset, prompts, responses, rows), rows, info)
  },
}
