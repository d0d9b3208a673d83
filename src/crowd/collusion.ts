import { collectGroups, createUnionFind, unite } from '../detectors/near-duplicates/union-find.js'
import { poissonUpperTail } from '../stats/tails.js'
import { counts } from './em.js'
import { groupAnswersBy, type PairEvidenceInput, type PairTally, tallyPairs } from './pair-tally.js'
import type { AnnotatorReliability } from './reliability.js'
import type { AnnotationTable } from './types.js'

/** Thresholds of the collusion search. */
export interface CollusionOptions {
  /** Family-wise error rate over all pairs (Bonferroni). Default 0.01. */
  alpha?: number
  /** Least number of items two annotators got wrong together. Default 5. */
  minJointWrong?: number
  /** Least ratio of joint wrong answers to their expected count. Default 3. */
  minRatio?: number
  /** Answers closer in time than this (same unit as the time column: seconds) count as a burst. Default 60. */
  burstWindow?: number
  /** Least run of items answered in the same order with the same labels to call a sequence copied. Default 8. */
  minCopiedRun?: number
}

/** Why two annotators are linked; the evidence is the pair's tally. */
export type CollusionSignal = 'wrong-agreement' | 'copied-sequence' | 'time-burst'

export interface CollusionEdge {
  readonly first: number
  readonly second: number
  readonly shared: number
  readonly agreed: number
  readonly jointWrong: number
  readonly expectedJointWrong: number
  /** Poisson upper tail of `jointWrong` given its expectation. */
  readonly pValue: number
  /** Longest run of shared items answered in the same order with the same labels. */
  readonly copiedRun: number
  readonly closeInTime: number
  readonly expectedCloseInTime: number
  readonly signals: readonly CollusionSignal[]
}

export interface CollusionGroup {
  /** Annotator indices, ascending. */
  readonly annotators: readonly number[]
  readonly edges: readonly CollusionEdge[]
}

/** Each annotator's answers ordered by time, input order breaking ties and standing in when times are missing. */
function answersInOrder(table: AnnotationTable): { start: Int32Array; order: Int32Array } {
  const byAnnotator = groupAnswersBy(table.annotator, counts(table).annotators)
  const time = table.time
  if (time) {
    for (let j = 0; j + 1 < byAnnotator.start.length; j++)
      byAnnotator.order
        .subarray(byAnnotator.start[j], byAnnotator.start[j + 1])
        .sort((a, b) => time[a] - time[b] || a - b)
  }
  return byAnnotator
}

/** Per-item marks for the copied-run search (−1 when unset), reset after each pair. */
interface CopyScratch {
  firstAnswer: Int32Array
  secondAnswer: Int32Array
  /** Position of a shared item among the shared items in the second annotator's order. */
  sharedPosition: Int32Array
}

function createCopyScratch(itemCount: number): CopyScratch {
  return {
    firstAnswer: new Int32Array(itemCount).fill(-1),
    secondAnswer: new Int32Array(itemCount).fill(-1),
    sharedPosition: new Int32Array(itemCount).fill(-1),
  }
}

/**
 * The longest run of shared items that both annotators answered in the same relative order with the same labels:
 * an honest pair working in its own order rarely strings more than two together. Linear in their answers.
 */
function longestCopiedRun(
  table: AnnotationTable,
  inOrder: { start: Int32Array; order: Int32Array },
  scratch: CopyScratch,
  first: number,
  second: number,
): number {
  const { start, order } = inOrder
  const { firstAnswer, secondAnswer, sharedPosition } = scratch
  for (let p = start[first]; p < start[first + 1]; p++) firstAnswer[table.item[order[p]]] = order[p]
  let position = 0
  for (let p = start[second]; p < start[second + 1]; p++) {
    const item = table.item[order[p]]
    secondAnswer[item] = order[p]
    if (firstAnswer[item] >= 0) sharedPosition[item] = position++
  }
  let best = 0
  let run = 0
  let previous = -2
  for (let p = start[first]; p < start[first + 1]; p++) {
    const item = table.item[order[p]]
    const here = sharedPosition[item]
    if (here < 0) continue
    const same = table.label[order[p]] === table.label[secondAnswer[item]]
    run = !same ? 0 : here === previous + 1 && run > 0 ? run + 1 : 1
    previous = here
    best = Math.max(best, run)
  }
  for (let p = start[first]; p < start[first + 1]; p++) firstAnswer[table.item[order[p]]] = -1
  for (let p = start[second]; p < start[second + 1]; p++) {
    secondAnswer[table.item[order[p]]] = -1
    sharedPosition[table.item[order[p]]] = -1
  }
  return best
}

function judgePair(tally: PairTally, slot: number, copiedRun: number, settings: Required<CollusionOptions>) {
  const bonferroni = settings.alpha / Math.max(1, tally.pairCount)
  const observed = tally.jointWrong[slot]
  const expected = tally.expectedJointWrong[slot]
  const pValue = poissonUpperTail(observed, expected)
  const excess = observed >= settings.minJointWrong && observed >= settings.minRatio * expected
  const signals: CollusionSignal[] = []
  if (excess && pValue < bonferroni) signals.push('wrong-agreement')
  if (copiedRun >= settings.minCopiedRun) signals.push('copied-sequence')
  const close = tally.closeInTime[slot]
  const expectedClose = tally.expectedCloseInTime[slot]
  const burst = close >= settings.minJointWrong && close >= settings.minRatio * expectedClose
  // A burst alone is how a team that works the same shift looks; it links a pair only with shared wrong answers.
  if (
    burst &&
    poissonUpperTail(close, expectedClose) < bonferroni &&
    observed >= 2 * expected &&
    observed >= 3
  )
    signals.push('time-burst')
  return { pValue, signals }
}

/**
 * Colluding groups: pairs of annotators who agree on wrong answers far beyond chance, copy each other's answer
 * sequences, or answer the same items in bursts while agreeing on wrong answers; linked pairs form groups.
 * `fit` and `reliability` come from a fit on the whole crowd: its posteriors, the confusion matrices they
 * multiplied in (for other models, `fullConfusion` of the posteriors) and each annotator's error rate.
 * @see P. Chen, H. Sun, Y. Fang, X. Liu, "Conspiracy detection in crowdsourcing" (agreement on wrong answers as
 *   evidence of collusion); E. Kamar, A. Kapoor, E. Horvitz, "Identifying and accounting for task-dependent
 *   bias in crowdsourcing", HCOMP 2015.
 */
export function findCollusion(
  table: AnnotationTable,
  fit: { posterior: Float64Array; confusion: Float64Array },
  reliability: AnnotatorReliability,
  options: CollusionOptions = {},
): CollusionGroup[] {
  const settings: Required<CollusionOptions> = {
    alpha: options.alpha ?? 0.01,
    minJointWrong: options.minJointWrong ?? 5,
    minRatio: options.minRatio ?? 3,
    burstWindow: options.burstWindow ?? 60,
    minCopiedRun: options.minCopiedRun ?? 8,
  }
  const { annotators, classes } = counts(table)
  if (classes < 2) return []
  const errorRate = reliability.accuracy.map((accuracy) => Math.min(0.99, Math.max(0.01, 1 - accuracy)))
  const evidence: PairEvidenceInput = {
    posterior: fit.posterior,
    confusion: fit.confusion,
    errorRate,
    confusionCounts: reliability.confusionCounts,
  }
  const tally = tallyPairs(table, evidence, settings.burstWindow)
  const inOrder = answersInOrder(table)
  const scratch = createCopyScratch(counts(table).items)
  const sets = createUnionFind(annotators)
  const edges: CollusionEdge[] = []
  for (let slot = 0; slot < tally.pairCount; slot++) {
    const shared = tally.shared[slot]
    // Only near-identical answer sheets can be copies; skip the sort for everyone else.
    const copyCandidate = shared >= settings.minCopiedRun && tally.agreed[slot] >= 0.9 * shared
    const first = tally.first[slot]
    const second = tally.second[slot]
    const copiedRun = copyCandidate ? longestCopiedRun(table, inOrder, scratch, first, second) : 0
    const { pValue, signals } = judgePair(tally, slot, copiedRun, settings)
    if (signals.length === 0) continue
    unite(sets, first, second)
    edges.push({
      first,
      second,
      shared,
      agreed: tally.agreed[slot],
      jointWrong: tally.jointWrong[slot],
      expectedJointWrong: tally.expectedJointWrong[slot],
      pValue,
      copiedRun,
      closeInTime: tally.closeInTime[slot],
      expectedCloseInTime: tally.expectedCloseInTime[slot],
      signals,
    })
  }
  return collectGroups(sets).map((members) => {
    const inGroup = new Set(members)
    return { annotators: Array.from(members), edges: edges.filter((edge) => inGroup.has(edge.first)) }
  })
}
