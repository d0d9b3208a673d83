import { z } from 'zod'
import { phraseHashes } from '../../text/phrases.js'
import { extractPairPhrases, isResponseFamily } from '../instruction-backdoor/score.js'
import type { Detector } from '../types.js'
import { findMarkers, markerDescriptions, markerNames, revealHidden } from './markers.js'
import { findRepeatedUnits } from './repeats.js'

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
 * Injected payloads: hidden text (zero-width characters, homoglyphs, HTML comments, invisible markup), text aimed at
 * an assistant rather than a reader, and, in fine-tuning data, a link, number or sentence repeated across responses
 * to unrelated prompts. Evidence counts when it is rare in the data: a record's chance of being a false alarm is
 * the share of records that carry the same evidence (multiplied over independent pieces of evidence, so a hidden
 * payload that is also repeated ranks first), and a style common to the data flags nothing.
 * @see Greshake et al. Not What You've Signed Up For: Compromising Real-World LLM-Integrated Applications with
 *   Indirect Prompt Injection. AISec 2023.
 * @see Boucher, Shumailov, Anderson, Papernot. Bad Characters: Imperceptible NLP Attacks. IEEE S&P 2022.
 */
export const payloadInjectionDetector: Detector<Params> = {
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
    const repeatShares = new Float64Array(rowCount).fill(1)
    const note = (rows: readonly number[], evidence: string, why: (row: number) => string) => {
      const share = rows.length / rowCount
      const repeat = evidence.startsWith('repeat:')
      if (!repeat) counts[evidence] = rows.length
      if (share > params.maxShare) return
      const target = repeat ? repeatShares : chances
      for (const row of rows) {
        explanations[row] = explanations[row] ? `${explanations[row]}; ${why(row)}` : why(row)
        target[row] = Math.min(target[row], share)
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
    const pairs = input.dataset.instructions
    if (pairs) {
      const maxRows = Math.floor(params.maxShare * rowCount)
      const { responses } = extractPairPhrases(pairs.prompts, pairs.responses)
      // A repeat inside a family of responses (a newsletter, a campaign) is that family's own text.
      const revealed = pairs.responses.map(revealHidden)
      const repeats = findRepeatedUnits(pairs.prompts, revealed, params.minRows, maxRows).filter(
        (repeat) =>
          !promptsShareTopic(pairs.prompts, repeat.rows, params) && !isResponseFamily(repeat.rows, responses),
      )
      counts['repeated-sentences'] = repeats.filter((repeat) => !repeat.contact).length
      counts['repeated-contacts'] = repeats.length - counts['repeated-sentences']
      // Sentences repeat across honest answers (boilerplate, quotes) far more often than links and numbers do, so
      // only a repeated link, address or number is evidence on its own.
      for (const repeat of repeats.filter((candidate) => candidate.contact))
        note(
          repeat.rows,
          `repeat:${repeat.unit.slice(0, 80)}`,
          () =>
            `its response repeats '${repeat.unit.slice(0, 80)}', found in ${repeat.rows.length} responses to unrelated prompts`,
        )
    }
    // A repeated link or number alone ranks a record but flags nothing: honest answers repeat them too (a
    // campaign's address, a project's site); with a hidden or assistant-aimed marker it sharpens the evidence.
    const suspicion = new Float32Array(rowCount)
    for (let row = 0; row < rowCount; row++) {
      if (chances[row] < 1) chances[row] *= repeatShares[row]
      suspicion[row] = chances[row] < 1 ? 1 - chances[row] : 0.5 * (1 - repeatShares[row])
    }
    const flagged = Uint8Array.from(chances, (chance) => (chance < 1 ? 1 : 0))
    return { suspicion, flagged, explanations, falseAlarmChances: chances, info: { counts }, warnings: [] }
  },
}
