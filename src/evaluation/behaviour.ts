import type { FeatureMatrix } from '../data/matrix.js'
import type { Severity } from '../domain/findings.js'
import { holmAdjust } from '../stats/multiple-testing.js'
import { binomialUpperTail } from '../stats/tails.js'

/** Predictions of a candidate and a known-clean reference on the same golden records. */
export interface BehaviourInput {
  readonly classNames: readonly string[]
  readonly ids: readonly string[]
  readonly candidate: Int32Array
  readonly reference: Int32Array
  /** True class of each record, -1 where unknown; enables per-class accuracy. */
  readonly truth?: Int32Array
  /** The golden records' features, to find changed inputs that share a feature. */
  readonly features?: FeatureMatrix
  readonly featureNames?: readonly string[]
}

export interface BehaviourOptions {
  /** Family-wise error rate of the pair and feature tests (Holm); default 0.01. */
  alpha?: number
  /** Fewest changed records a finding may rest on; default 5. */
  minChanged?: number
}

/**
 * McNemar's exact test on one class pair {a, b}: records the reference puts in a and the candidate in b, against
 * the reverse. Under "the candidate behaves like the reference up to noise" both directions are equally likely.
 */
export interface PairTest {
  readonly from: string
  readonly to: string
  /** Reference `from`, candidate `to`. */
  readonly changedFromTo: number
  /** Reference `to`, candidate `from`. */
  readonly changedToFrom: number
  readonly pValue: number
  /** Holm-adjusted over every class pair. */
  readonly adjustedPValue: number
}

export interface BehaviourFinding {
  readonly kind: 'class_pair_shift' | 'shared_feature'
  readonly severity: Severity
  readonly message: string
  readonly pValue: number
  readonly from?: string
  readonly to?: string
  readonly feature?: string
}

export interface ClassBehaviour {
  readonly label: string
  /** Golden records of this class (by truth, else by the reference's prediction). */
  readonly count: number
  readonly changed: number
  readonly candidateAccuracy?: number
  readonly referenceAccuracy?: number
}

export interface BehaviourReport {
  readonly recordCount: number
  readonly changedCount: number
  readonly perClass: ClassBehaviour[]
  /** `agreement[reference][candidate]`: counts of each prediction pair. */
  readonly agreement: number[][]
  readonly changedRecords: { id: string; reference: string; candidate: string; truth?: string }[]
  /** Every pair with a change, most significant first. */
  readonly pairTests: PairTest[]
  readonly findings: BehaviourFinding[]
  readonly verdict: 'changed' | 'consistent'
}

/** Two-sided exact McNemar p-value for discordant counts `b` and `c`. */
export function mcnemarExact(b: number, c: number): number {
  if (b + c === 0) return 1
  return Math.min(1, 2 * binomialUpperTail(Math.max(b, c), b + c, 0.5))
}

function severityOf(adjustedPValue: number): Severity {
  return adjustedPValue < 1e-4 ? 'high' : 'medium'
}

function testPairs(agreement: number[][], classNames: readonly string[]): PairTest[] {
  const raw: Omit<PairTest, 'adjustedPValue'>[] = []
  const classCount = classNames.length
  for (let a = 0; a < classCount; a++) {
    for (let b = a + 1; b < classCount; b++) {
      const [ab, ba] = [agreement[a][b], agreement[b][a]]
      // Orient each pair along the direction that gained predictions.
      const [from, to, forward, backward] = ab >= ba ? [a, b, ab, ba] : [b, a, ba, ab]
      raw.push({
        from: classNames[from],
        to: classNames[to],
        changedFromTo: forward,
        changedToFrom: backward,
        pValue: mcnemarExact(forward, backward),
      })
    }
  }
  const adjusted = holmAdjust(raw.map((test) => test.pValue))
  return raw
    .map((test, index) => ({ ...test, adjustedPValue: adjusted[index] }))
    .filter((test) => test.changedFromTo + test.changedToFrom > 0)
    .sort((x, y) => x.pValue - y.pValue)
}

/**
 * Per feature, Fisher-style comparison of how often it is set (non-zero) among changed records against the rest;
 * a feature set far more often in changed records marks a shared trait (a trigger, a source-specific value).
 */
function testSharedFeatures(input: BehaviourInput, changed: Uint8Array, changedCount: number) {
  const { features } = input
  if (!features || changedCount === 0) return []
  const unchangedCount = features.rows - changedCount
  const tests: { feature: string; pValue: number; changedShare: number; otherShare: number }[] = []
  for (let col = 0; col < features.cols; col++) {
    let inChanged = 0
    let inOther = 0
    for (let row = 0; row < features.rows; row++) {
      if (features.data[row * features.cols + col] === 0) continue
      if (changed[row]) inChanged++
      else inOther++
    }
    const base = (inChanged + inOther) / features.rows
    if (base === 0 || base === 1) continue
    tests.push({
      feature: input.featureNames?.[col] ?? `column ${col + 1}`,
      pValue: binomialUpperTail(inChanged, changedCount, base),
      changedShare: inChanged / changedCount,
      otherShare: unchangedCount > 0 ? inOther / unchangedCount : 0,
    })
  }
  const adjusted = holmAdjust(tests.map((test) => test.pValue))
  return tests.map((test, index) => ({ ...test, adjustedPValue: adjusted[index] }))
}

function perClassBehaviour(input: BehaviourInput, changed: Uint8Array): ClassBehaviour[] {
  const { classNames, candidate, reference, truth } = input
  return classNames.map((label, code) => {
    let count = 0
    let changedCount = 0
    let candidateRight = 0
    let referenceRight = 0
    for (let row = 0; row < candidate.length; row++) {
      const actual = truth && truth[row] >= 0 ? truth[row] : reference[row]
      if (actual !== code) continue
      count++
      changedCount += changed[row]
      if (candidate[row] === code) candidateRight++
      if (reference[row] === code) referenceRight++
    }
    const accuracies =
      truth && count > 0
        ? { candidateAccuracy: candidateRight / count, referenceAccuracy: referenceRight / count }
        : {}
    return { label, count, changed: changedCount, ...accuracies }
  })
}

/**
 * Compares a candidate model's predictions with a known-clean reference's on golden records: per-class accuracy,
 * the agreement table, the records whose prediction changed, McNemar's test per class pair, and findings where the
 * changes concentrate on one pair or on inputs sharing a feature (Holm-corrected at `alpha`).
 */
export function compareBehaviour(input: BehaviourInput, options: BehaviourOptions = {}): BehaviourReport {
  const alpha = options.alpha ?? 0.01
  const minChanged = options.minChanged ?? 5
  const { classNames, candidate, reference, truth, ids } = input
  const classCount = classNames.length
  const agreement = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0))
  const changed = new Uint8Array(candidate.length)
  const changedRecords: BehaviourReport['changedRecords'] = []
  for (let row = 0; row < candidate.length; row++) {
    agreement[reference[row]][candidate[row]]++
    if (reference[row] === candidate[row]) continue
    changed[row] = 1
    const actual = truth && truth[row] >= 0 ? { truth: classNames[truth[row]] } : {}
    changedRecords.push({
      id: ids[row],
      reference: classNames[reference[row]],
      candidate: classNames[candidate[row]],
      ...actual,
    })
  }
  const pairTests = testPairs(agreement, classNames)
  const findings: BehaviourFinding[] = []
  for (const test of pairTests) {
    if (test.adjustedPValue >= alpha || test.changedFromTo < minChanged) continue
    findings.push({
      kind: 'class_pair_shift',
      severity: severityOf(test.adjustedPValue),
      message: `${test.changedFromTo} golden records the reference classes as ${test.from} are classed as ${test.to} by the candidate, against ${test.changedToFrom} the other way (McNemar p = ${test.pValue.toExponential(2)}, Holm-adjusted ${test.adjustedPValue.toExponential(2)})`,
      pValue: test.adjustedPValue,
      from: test.from,
      to: test.to,
    })
  }
  if (changedRecords.length >= minChanged) {
    const features = testSharedFeatures(input, changed, changedRecords.length)
    const strongest = features.sort((x, y) => x.adjustedPValue - y.adjustedPValue)[0]
    if (strongest && strongest.adjustedPValue < alpha) {
      findings.push({
        kind: 'shared_feature',
        severity: severityOf(strongest.adjustedPValue),
        message: `${strongest.feature} is set in ${(strongest.changedShare * 100).toFixed(0)}% of the changed records against ${(strongest.otherShare * 100).toFixed(0)}% of the others (Holm-adjusted p = ${strongest.adjustedPValue.toExponential(2)})`,
        pValue: strongest.adjustedPValue,
        feature: strongest.feature,
      })
    }
  }
  return {
    recordCount: candidate.length,
    changedCount: changedRecords.length,
    perClass: perClassBehaviour(input, changed),
    agreement,
    changedRecords,
    pairTests,
    findings,
    verdict: findings.length > 0 ? 'changed' : 'consistent',
  }
}
