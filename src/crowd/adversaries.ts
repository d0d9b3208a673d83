import { binomialUpperTail } from '../stats/tails.js'
import { counts } from './em.js'
import type { AnnotatorReliability } from './reliability.js'
import type { AnnotationTable } from './types.js'

/** Thresholds of the single-annotator checks. */
export interface AdversaryOptions {
  /** Annotators with fewer answers are never judged. Default 20. */
  minAnswers?: number
  /** A spammer's κ interval lies wholly below this. Default 0.1. */
  spammerKappa?: number
  /** Family-wise error rate of the per-class tests (Bonferroni over annotators × classes). Default 0.01. */
  alpha?: number
  /** Least drop of a class's accuracy below the annotator's accuracy elsewhere. Default 0.4. */
  minDrop?: number
  /** Least expected answers in a class for its test. Default 5. */
  minClassAnswers?: number
}

/** Why one annotator is suspicious, as data; `describeSuspicion` renders it. */
export type Suspicion =
  | { kind: 'spammer'; kappa: number; kappaUpper: number; answers: number }
  | {
      kind: 'targeted'
      /** The true class of the items the annotator gets wrong. */
      classCode: number
      accuracyThere: number
      accuracyElsewhere: number
      answersThere: number
      pValue: number
    }
  | { kind: 'colluding'; group: number; partners: number[] }

/** P(X ≤ observed) for X ~ Binomial(trials, probability). */
function binomialLowerTail(observed: number, trials: number, probability: number): number {
  return Math.max(0, 1 - binomialUpperTail(observed + 1, trials, probability))
}

function isSpammer(reliability: AnnotatorReliability, j: number, threshold: number): boolean {
  return reliability.kappaUpper[j] < threshold
}

/**
 * The true class on which the annotator is far and significantly worse than on the others. Only true classes are
 * compared: the precision of a given label also moves with the class shares, so it would accuse honest but weak
 * annotators on imbalanced data.
 */
function targetedClass(
  confusionCounts: Float64Array,
  j: number,
  classCount: number,
  options: Required<AdversaryOptions>,
  testCount: number,
): Suspicion | undefined {
  const block = j * classCount * classCount
  let agreement = 0
  let total = 0
  for (let k = 0; k < classCount; k++)
    for (let l = 0; l < classCount; l++) {
      const cell = confusionCounts[block + k * classCount + l]
      total += cell
      if (k === l) agreement += cell
    }
  let worst: Suspicion | undefined
  for (let c = 0; c < classCount; c++) {
    let there = 0
    for (let l = 0; l < classCount; l++) there += confusionCounts[block + c * classCount + l]
    const right = confusionCounts[block + c * classCount + c]
    if (there < options.minClassAnswers || total - there < options.minClassAnswers) continue
    const accuracyThere = right / there
    const accuracyElsewhere = (agreement - right) / (total - there)
    if (accuracyElsewhere - accuracyThere < options.minDrop) continue
    const pValue = binomialLowerTail(Math.round(right), Math.round(there), accuracyElsewhere)
    if (pValue * testCount > options.alpha) continue
    if (worst?.kind === 'targeted' && worst.pValue <= pValue) continue
    worst = { kind: 'targeted', classCode: c, accuracyThere, accuracyElsewhere, answersThere: there, pValue }
  }
  return worst
}

/**
 * Single-annotator adversaries: spammers (answers independent of the item: κ against the consensus
 * significantly near 0) and targeted annotators (right elsewhere but wrong on the items of one class).
 * Returns each annotator's suspicions, empty for the trusted ones.
 * @see V. C. Raykar, S. Yu, "Eliminating spammers and ranking annotators for crowdsourced labeling tasks",
 *   JMLR 13, 2012 (spammers as annotators whose answers carry no information about the true class).
 */
export function findSuspiciousAnnotators(
  table: AnnotationTable,
  reliability: AnnotatorReliability,
  options: AdversaryOptions = {},
): Suspicion[][] {
  const settings: Required<AdversaryOptions> = {
    minAnswers: options.minAnswers ?? 20,
    spammerKappa: options.spammerKappa ?? 0.1,
    alpha: options.alpha ?? 0.01,
    minDrop: options.minDrop ?? 0.4,
    minClassAnswers: options.minClassAnswers ?? 5,
  }
  const { annotators, classes } = counts(table)
  const testCount = Math.max(1, annotators * classes)
  const found: Suspicion[][] = Array.from({ length: annotators }, () => [])
  // With one class every answer is right and κ is undefined: there is nothing to judge anyone by.
  if (classes < 2) return found
  for (let j = 0; j < annotators; j++) {
    const answers = reliability.answerCount[j]
    if (answers < settings.minAnswers) continue
    if (isSpammer(reliability, j, settings.spammerKappa)) {
      const { kappa, kappaUpper } = reliability
      found[j].push({ kind: 'spammer', kappa: kappa[j], kappaUpper: kappaUpper[j], answers })
      continue
    }
    const targeted = targetedClass(reliability.confusionCounts, j, classes, settings, testCount)
    if (targeted) found[j].push(targeted)
  }
  return found
}
