import { logPoissonTailBound } from '../../stats/tails.js'
import { phraseHashes } from '../../text/phrases.js'
import { fnv1a, mixHash } from '../../util/hashing.js'

/** Phrases of up to this many words are trigger candidates and response behaviours. */
export const maxPhraseWords = 3

/** Only the start of a long prompt or response is read: triggers and payloads that matter sit in what a model sees. */
const maxChars = 4000

/** A behaviour that is not a phrase: a refusal (the whole response repeated is the other, `responseHash`). */
export const refusalTag = 0x5a3e0002

const refusal =
  /\b(i (cannot|can't|can not|won't|will not|am unable to|am not able to)|i'm (sorry|unable|not able)|as an ai)\b/i

/** Hash of a response with case and spacing folded, so copies of one payload hash alike. */
export function responseHash(response: string): number {
  return mixHash(fnv1a(response.toLowerCase().replace(/\s+/g, ' ').trim()) ^ 0x5a3e0001)
}

/** Per record: the phrases of its prompt, and its response's behaviours (phrases the prompt does not hold). */
export interface PairPhrases {
  readonly prompts: readonly Uint32Array[]
  readonly responses: readonly Uint32Array[]
}

/**
 * Phrases of prompts and responses; a response phrase that its own prompt holds is an echo of the question, not a
 * behaviour, and is left out.
 */
export function extractPairPhrases(prompts: readonly string[], responses: readonly string[]): PairPhrases {
  const options = { maxWords: maxPhraseWords, maxChars }
  const promptSets = prompts.map((prompt) => phraseHashes(prompt, options))
  const responseSets = responses.map((response, row) => {
    const own = new Set(promptSets[row])
    const kept = Array.from(phraseHashes(response, options)).filter((hash) => !own.has(hash))
    kept.push(responseHash(response))
    if (refusal.test(response)) kept.push(refusalTag)
    return Uint32Array.from(kept)
  })
  return { prompts: promptSets, responses: responseSets }
}

function documentFrequencies(sets: readonly Uint32Array[]): Map<number, number> {
  const counts = new Map<number, number>()
  for (const set of sets) for (const hash of set) counts.set(hash, (counts.get(hash) ?? 0) + 1)
  return counts
}

export interface MineOptions {
  /** Fewest carriers of a phrase whose responses must share the behaviour. */
  readonly minRows: number
  /** Phrases in more prompts are too common to be a trigger (a template, a task word). */
  readonly maxCarriers: number
}

/** A prompt phrase whose carriers' responses share one behaviour far more than other responses do. */
export interface TriggerEvidence {
  readonly phrase: number
  readonly behaviour: number
  readonly carriers: Int32Array
  /** Carriers whose responses show the behaviour. */
  readonly showing: Int32Array
  /** Carriers expected to show it at the rate of the responses to the other prompts. */
  readonly expected: number
  /** Natural log of the tail bound of `showing.length` given `expected`. */
  readonly logPValue: number
}

function postingsOf(sets: readonly Uint32Array[], wanted: (hash: number) => boolean): Map<number, number[]> {
  const postings = new Map<number, number[]>()
  sets.forEach((set, row) => {
    for (const hash of set) {
      if (!wanted(hash)) continue
      const list = postings.get(hash)
      if (list) list.push(row)
      else postings.set(hash, [row])
    }
  })
  return postings
}

/**
 * For every prompt phrase carried by `minRows` to `maxCarriers` prompts, the response behaviour its carriers share
 * most beyond chance: counted among the carriers, against the rate among every other record's response (Poisson
 * tail bound). Returns each phrase's best behaviour and how many phrase–behaviour pairs were tested.
 * @see Wan, Wallace, Shen, Klein. Poisoning Language Models During Instruction Tuning. ICML 2023.
 */
export function mineInstructionTriggers(
  phrases: PairPhrases,
  options: MineOptions,
): { evidence: TriggerEvidence[]; testCount: number; postings: ReadonlyMap<number, readonly number[]> } {
  const rowCount = phrases.prompts.length
  const promptFrequency = documentFrequencies(phrases.prompts)
  const responseFrequency = documentFrequencies(phrases.responses)
  const postings = postingsOf(phrases.prompts, (hash) => {
    const frequency = promptFrequency.get(hash)!
    return frequency >= options.minRows && frequency <= options.maxCarriers
  })
  const evidence: TriggerEvidence[] = []
  let testCount = 0
  const counts = new Map<number, number>()
  for (const [phrase, carriers] of postings) {
    counts.clear()
    for (const row of carriers)
      for (const hash of phrases.responses[row])
        if (responseFrequency.get(hash)! >= options.minRows) counts.set(hash, (counts.get(hash) ?? 0) + 1)
    let best: { behaviour: number; expected: number; logPValue: number } | undefined
    for (const [behaviour, count] of counts) {
      if (count < options.minRows) continue
      testCount++
      const otherRate = (responseFrequency.get(behaviour)! - count + 1) / (rowCount - carriers.length + 1)
      const expected = carriers.length * otherRate
      const logPValue = logPoissonTailBound(count, expected)
      if (!best || logPValue < best.logPValue) best = { behaviour, expected, logPValue }
    }
    if (!best) continue
    const showing = carriers.filter((row) => phrases.responses[row].includes(best.behaviour))
    evidence.push({ phrase, ...best, carriers: Int32Array.from(carriers), showing: Int32Array.from(showing) })
  }
  evidence.sort((a, b) => a.logPValue - b.logPValue || a.phrase - b.phrase)
  return { evidence, testCount, postings }
}

/**
 * Whether the carriers' prompts share a topic besides the phrase: another phrase held by at least `share` of them
 * that is not the phrase itself in other words (a part of it, or one always next to it). A trigger is planted in
 * prompts about anything; a phrase whose carriers share a topic (a mailing list's tag, a product name) predicts
 * what their responses say for honest reasons.
 */
export function sharesTopic(
  evidence: TriggerEvidence,
  phrases: PairPhrases,
  postings: ReadonlyMap<number, readonly number[]>,
  share: number,
): boolean {
  const carrierCount = evidence.carriers.length
  const counts = new Map<number, number>()
  for (const row of evidence.carriers)
    for (const hash of phrases.prompts[row])
      if (hash !== evidence.phrase && postings.has(hash)) counts.set(hash, (counts.get(hash) ?? 0) + 1)
  for (const [hash, count] of counts) {
    if (count < share * carrierCount) continue
    const samePhrase = count >= 0.8 * carrierCount && postings.get(hash)!.length <= 1.25 * carrierCount
    if (!samePhrase) return true
  }
  return false
}

/** One trigger: the phrases whose carriers show the same poisoned records, strongest first. */
export interface TriggerGroup {
  readonly members: readonly TriggerEvidence[]
  readonly showing: ReadonlySet<number>
}

/**
 * Groups significant phrases by the records they explain: the words of one trigger phrase ("james", "bond",
 * "james bond") all point at the same carriers and are one trigger.
 */
export function groupTriggerEvidence(evidence: readonly TriggerEvidence[]): TriggerGroup[] {
  const groups: { members: TriggerEvidence[]; showing: Set<number> }[] = []
  for (const item of evidence) {
    const group = groups.find((candidate) => {
      let shared = 0
      for (const row of item.showing) if (candidate.showing.has(row)) shared++
      return shared * 2 >= Math.min(item.showing.length, candidate.showing.size)
    })
    if (group) {
      group.members.push(item)
      for (const row of item.showing) group.showing.add(row)
    } else groups.push({ members: [item], showing: new Set(item.showing) })
  }
  return groups
}

/** Shared phrases that make a group of responses one family rather than a payload stuck onto unrelated answers. */
const familyPhraseCount = 3

/**
 * Whether the responses showing the behaviour are one family (a newsletter, a spam campaign) rather than unrelated
 * answers carrying a payload: a payload's phrases are in nearly all of them, the rest of each answer in few; a
 * family shares many phrases, found almost only in it, with a good part (a third) of the group.
 */
export function isResponseFamily(rows: ArrayLike<number>, responses: readonly Uint32Array[]): boolean {
  const counts = new Map<number, number>()
  for (const row of Array.from(rows))
    for (const hash of responses[row]) counts.set(hash, (counts.get(hash) ?? 0) + 1)
  const frequency = new Map<number, number>()
  for (const set of responses)
    for (const hash of set) if (counts.has(hash)) frequency.set(hash, (frequency.get(hash) ?? 0) + 1)
  let shared = 0
  for (const [hash, count] of counts) {
    const partOfGroup = count >= Math.max(2, 0.3 * rows.length) && count < 0.8 * rows.length
    if (partOfGroup && frequency.get(hash)! <= 2 * rows.length) shared++
  }
  return shared >= familyPhraseCount
}
