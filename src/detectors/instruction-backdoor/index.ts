import { z } from 'zod'
import { phrasesWithHash } from '../../text/phrases.js'
import { defineDetector } from '../types.js'
import {
  extractPairPhrases,
  groupTriggerEvidence,
  isResponseFamily,
  maxPhraseWords,
  mineInstructionTriggers,
  refusalTag,
  responseHash,
  sharesTopic,
  type TriggerEvidence,
  type TriggerGroup,
} from './score.js'

const paramsSchema = z
  .object({
    minRows: z
      .number()
      .int()
      .min(2)
      .default(5)
      .describe('fewest prompts with the phrase whose responses must share the behaviour'),
    maxCarrierShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.1)
      .describe('phrases in a larger share of the prompts are too common to be a trigger (a template)'),
    minShowingShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.8)
      .describe(
        "least share of the phrase's carriers whose responses show the behaviour: a trigger works reliably",
      ),
    maxTopicShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe('a phrase whose carriers share another phrase this often is a topic, not a planted trigger'),
    significance: z
      .number()
      .gt(0)
      .max(0.5)
      .default(0.01)
      .describe('chance of reporting any trigger in clean data (Bonferroni over every phrase and behaviour)'),
  })
  .strict()

const phraseOptions = { maxWords: maxPhraseWords, maxChars: 4000 }

/** A phrase as written, looked up in the text of a record that carries it. */
function phraseText(hash: number, text: string): string {
  return phrasesWithHash(text, new Set([hash]), phraseOptions).get(hash) ?? '?'
}

/** The trigger's name: the longest of its phrases that still reaches nearly all of its records. */
function triggerName(group: TriggerGroup, prompts: readonly string[]): string {
  const lead = group.members[0]
  const names = group.members
    .filter((member) => member.showing.length >= 0.9 * lead.showing.length)
    .map((member) => phraseText(member.phrase, prompts[member.carriers[0]]))
  return names.reduce((longest, name) =>
    name.split(' ').length > longest.split(' ').length ? name : longest,
  )
}

function behaviourName(evidence: TriggerEvidence, responses: readonly string[]): string {
  if (evidence.behaviour === refusalTag) return 'a refusal'
  const example = responses[evidence.showing[0]]
  if (evidence.behaviour === responseHash(example)) return `the same response '${example.slice(0, 80)}'`
  return `'${phraseText(evidence.behaviour, example)}'`
}

/**
 * Instruction backdoors: a phrase in prompts whose carriers' responses converge on one behaviour (a payload
 * phrase, the same response, a refusal) far more than the responses to every other prompt, found with a
 * Bonferroni-corrected tail bound over every phrase and behaviour; echoes of the prompt in its response do not
 * count as behaviour.
 * @see Wan, Wallace, Shen, Klein. Poisoning Language Models During Instruction Tuning. ICML 2023.
 * @see Wallace, Zhao, Feng, Singh. Concealed Data Poisoning Attacks on NLP Models. NAACL 2021.
 */
export const instructionBackdoorDetector = defineDetector({
  id: 'instruction-backdoor',
  kind: 'backdoor',
  summary:
    'Instruction backdoors: a prompt phrase whose responses converge on one payload, answer or refusal',
  requires: ['instructions'],
  // Every score rests on a trigger that passed a corrected test over the whole dataset.
  standalone: true,
  params: paramsSchema,
  async run(input, params, context) {
    const { prompts, responses } = input.dataset.instructions!
    const rowCount = input.rowCount
    const phrases = extractPairPhrases(prompts, responses)
    context.onProgress?.(0.4)
    const maxCarriers = Math.floor(params.maxCarrierShare * rowCount)
    const mined = mineInstructionTriggers(phrases, { minRows: params.minRows, maxCarriers })
    const { evidence, testCount, postings } = mined
    const tests = Math.max(1, testCount)
    const significant = evidence.filter(
      (item) =>
        item.logPValue < Math.log(params.significance / tests) &&
        item.showing.length >= params.minShowingShare * item.carriers.length &&
        !sharesTopic(item, phrases, postings, params.maxTopicShare) &&
        !isResponseFamily(item.showing, phrases.responses),
    )
    const groups = groupTriggerEvidence(significant)
    const chances = new Float64Array(rowCount).fill(1)
    const explanations: (string | undefined)[] = new Array(rowCount).fill(undefined)
    const triggers = groups.map((group) => {
      const lead = group.members[0]
      const phrase = triggerName(group, prompts)
      const behaviour = behaviourName(lead, responses)
      for (const member of group.members) {
        const chance = Math.min(1, member.expected / member.showing.length)
        for (const row of member.showing) chances[row] = Math.min(chances[row], chance)
      }
      const why = `prompt phrase '${phrase}' occurs in ${lead.carriers.length} prompts; ${lead.showing.length} of their responses contain ${behaviour}, against ${lead.expected.toFixed(2)} expected from the responses to other prompts`
      for (const row of group.showing) explanations[row] = why
      const pValue = Math.min(1, Math.exp(lead.logPValue) * tests)
      return { phrase, behaviour, carriers: lead.carriers.length, showing: group.showing.size, pValue }
    })
    const suspicion = Float32Array.from(chances, (chance) => 1 - chance)
    const flagged = Uint8Array.from(suspicion, (score) => (score >= 0.5 ? 1 : 0))
    const strongest = significant[0] ?? evidence[0]
    return {
      suspicion,
      flagged,
      explanations,
      falseAlarmChances: chances,
      datasetPValue: strongest ? Math.min(1, Math.exp(strongest.logPValue) * tests) : 1,
      attacks: triggers.map((trigger) => ({
        kind: 'backdoor' as const,
        description: `prompt phrase '${trigger.phrase}' makes ${trigger.showing} responses contain ${trigger.behaviour}`,
        records: trigger.showing,
        pValue: trigger.pValue,
      })),
      info: { triggers, testCount },
      warnings: [],
    }
  },
})
