import { z } from 'zod'
import { phraseHashes } from '../../text/phrases.js'
import { extractPairPhrases, isResponseFamily } from '../instruction-backdoor/score.js'
import { defineDetector } from '../types.js'
import { findMarkers, markerDescriptions, markerNames, revealHidden } from './markers.js'
import { findRepeatedUnits, minFreshShare, type RepeatedUnit, repeatFalseAlarmChances } from './repeats.js'

const paramsSchema = z
  .object({
    minRows: z
      .number()
      .int()
      .min(2)
      .default(5)
      .describe('fewest responses to unrelated prompts that must repeat a link, number or sentence'),
    maxShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.05)
      .describe(
        "markers and repeats in a larger share of the records are the data's own style, not an injection",
      ),
    maxTopicShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe('a repeat whose prompts share a word this often answers one topic honestly'),
  })
  .strict()

type Params = z.infer<typeof paramsSchema>

/** Whether the prompts of a repeat's carriers share a word (ignoring the data's template words). */
function promptsShareTopic(prompts: readonly string[], rows: readonly number[], params: Params): boolean {
  const rowCount = prompts.length
  const common = new Map<number, number>()
  for (const row of rows)
    for (const hash of phraseHashes(prompts[row], { maxWords: 1, maxChars: 4000 }))
      common.set(hash, (common.get(hash) ?? 0) + 1)
  const frequency = new Map<number, number>()
  for (const prompt of prompts)
    for (const hash of phraseHashes(prompt, { maxWords: 1, maxChars: 4000 }))
      if ((common.get(hash) ?? 0) >= params.maxTopicShare * rows.length)
        frequency.set(hash, (frequency.get(hash) ?? 0) + 1)
  for (const count of frequency.values()) if (count <= params.maxShare * rowCount) return true
  return false
}

/**
 * Repeats that look planted: held by most of their carriers between words of their own (not copied with what
 * surrounds them), in responses to prompts that share no topic and that are not one family.
 */
function insertedRepeats(
  prompts: readonly string[],
  responses: readonly string[],
  rowCount: number,
  params: Params,
): { inserted: RepeatedUnit[]; all: RepeatedUnit[] } {
  const maxRows = Math.floor(params.maxShare * rowCount)
  const revealed = responses.map(revealHidden)
  const all = findRepeatedUnits(prompts, revealed, params.minRows, maxRows)
  const inserted = all.filter(
    (repeat) => repeat.freshRows > 0 && repeat.freshRows >= minFreshShare * repeat.rows.length,
  )
  if (inserted.length === 0) return { inserted, all }
  // A repeat inside a family of responses (a newsletter, a campaign) is that family's own text.
  const phrases = extractPairPhrases(prompts, responses).responses
  const unrelated = inserted.filter(
    (repeat) => !promptsShareTopic(prompts, repeat.rows, params) && !isResponseFamily(repeat.rows, phrases),
  )
  return { inserted: unrelated, all }
}

/**
 * Injected payloads: hidden text (zero-width characters, homoglyphs, HTML comments, invisible markup), text aimed at
 * an assistant rather than a reader, and, in fine-tuning data, a link, number or sentence repeated across responses
 * to unrelated prompts. Evidence counts when it is rare in the data: a record's chance of being a false alarm is
 * the share of records that carry the same evidence (multiplied over independent pieces of evidence, so a hidden
 * payload that is also repeated ranks first), and a style common to the data flags nothing.
 * @see Greshake et al. Not What You've Signed Up For: Compromising Real-World LLM-Integrated Applications with
 *   Indirect Prompt Injection. AISec 2023.
 * @see Boucher, Shumailov, Anderson, Papernot. Bad Characters: Imperceptible NLP Attacks. IEEE S&P 2022.
 */
export const payloadInjectionDetector = defineDetector({
  id: 'payload-injection',
  kind: 'injection',
  summary:
    'Injected payloads: hidden text, instructions aimed at an assistant, links or sentences repeated at random',
  requires: ['documents'],
  params: paramsSchema,
  async run(input, params) {
    const rowCount = input.rowCount
    const texts = input.texts ?? input.dataset.texts!
    const chances = new Float64Array(rowCount).fill(1)
    const explanations: (string | undefined)[] = new Array(rowCount).fill(undefined)
    const counts: Record<string, number> = {}
    const note = (rows: readonly number[], evidence: string, why: (row: number) => string) => {
      counts[evidence] = rows.length
      const share = rows.length / rowCount
      if (share > params.maxShare) return
      for (const row of rows) {
        explanations[row] = explanations[row] ? `${explanations[row]}; ${why(row)}` : why(row)
        chances[row] = Math.min(chances[row], share)
      }
    }
    const markers = findMarkers(texts)
    for (const name of markerNames) {
      const rows = [...markers[name].keys()].filter((row) => markers[name][row] === 1)
      note(
        rows,
        name,
        () => `holds ${markerDescriptions[name]}, found in ${rows.length} of ${rowCount} records`,
      )
    }
    const repeatChances = new Float64Array(rowCount).fill(1)
    const pairs = input.dataset.instructions
    if (pairs) {
      const { inserted: repeats, all } = insertedRepeats(pairs.prompts, pairs.responses, rowCount, params)
      counts['repeats-inserted'] = repeats.length
      const repeatChance = repeatFalseAlarmChances(repeats, all)
      repeats.forEach((repeat, index) => {
        const chance = repeatChance[index]
        if (chance >= 1) return
        const why = `its response holds '${repeat.unit.slice(0, 80)}', repeated in ${repeat.rows.length} responses to unrelated prompts, in ${repeat.freshRows} of them between words of their own`
        for (const row of repeat.rows) {
          if (chance < 0.5) explanations[row] = explanations[row] ? `${explanations[row]}; ${why}` : why
          repeatChances[row] = Math.min(repeatChances[row], chance)
        }
      })
    }
    // A marker and a repeat are independent evidence; a repeat alone counts as strongly as the data's own
    // repeats let it, so a stock phrase or a quoted header ranks low and a payload planted in dozens of answers high.
    const suspicion = new Float32Array(rowCount)
    for (let row = 0; row < rowCount; row++) {
      chances[row] = chances[row] < 1 ? chances[row] * repeatChances[row] : repeatChances[row]
      suspicion[row] = 1 - chances[row]
    }
    const flagged = Uint8Array.from(chances, (chance) => (chance < 0.5 ? 1 : 0))
    return { suspicion, flagged, explanations, falseAlarmChances: chances, info: { counts }, warnings: [] }
  },
})
