import type { Suspicion } from './adversaries.js'
import type { CrowdResult } from './aggregate.js'
import type { CollusionEdge, CollusionSignal } from './collusion.js'
import type { CombinedView } from './model-view.js'
import { goldAgreement, wilsonInterval } from './reliability.js'
import { type CrowdInputWarning, describeInputWarning } from './table-builder.js'
import type { AggregationModel, AnnotationTable } from './types.js'

/** Items whose consensus is less certain than this become findings. */
export const LOW_CONFIDENCE = 0.8

/** One annotator in the report. */
export interface AnnotatorEntry {
  annotator: string
  answers: number
  /** Expected share of right answers against the final consensus, in [0, 1]. */
  reliability: number
  /** 95% Wilson interval of `reliability`. */
  interval: [number, number]
  kappa: number
  /** Weight in the final consensus: 1 trusted, 0 excluded, between for down-weighted. */
  weight: number
  flagged: boolean
  /** Why it is flagged, for people; empty when it is not. */
  reason: string
  suspicions: (Suspicion & { description: string })[]
  /** Soft counts of answers (columns) per true class (rows), in `classes` order. */
  confusion: number[][]
  /** Per true class: expected answers, the share answered right and its 95% Wilson interval (the matrix's rows). */
  perClass: { class: string; answers: number; accuracy: number; interval: [number, number] }[]
  /** Answers on gold items: how many matched, with a 95% interval; absent without gold. */
  gold?: { right: number; total: number; interval: [number, number] }
}

export interface GroupEntry {
  annotators: string[]
  /** The wrong answer the group gave most: on items of `trueClass`, the label `label`, `count` times. */
  pushed?: { trueClass: string; label: string; count: number }
  evidence: (Omit<CollusionEdge, 'first' | 'second'> & { pair: [string, string]; description: string })[]
}

/** An item whose consensus is uncertain or changed when suspicious annotators were set aside. */
export interface CrowdFinding {
  item: string
  kind: 'label_issue'
  label: string
  confidence: number
  explanation: string
}

/** The JSON report of `poisonguard crowd`. */
export interface CrowdReport {
  tool: { name: 'poisonguard'; version: string }
  input: { path: string; format: string; sha256: string; answers: number; items: number; annotators: number }
  gold?: { path: string; items: number }
  /** Present when item features were combined with the crowd (`--dataset`). */
  modelView?: { path: string; coveredItems: number; agreement: number; overruledItems: number }
  classes: string[]
  model: AggregationModel
  adversaries: 'exclude' | 'down-weight' | 'keep'
  summary: {
    flaggedAnnotators: number
    excludedAnnotators: number
    downWeightedAnnotators: number
    groups: number
    /** Items whose consensus label changed when the flagged annotators were set aside. */
    changedItems: number
    meanConfidence: number
    lowConfidenceItems: number
    iterations: number
  }
  annotators: AnnotatorEntry[]
  groups: GroupEntry[]
  findings: CrowdFinding[]
  warnings: string[]
}

/** What the report says about where the data came from and how it was aggregated. */
export interface CrowdReportContext {
  version: string
  input: { path: string; format: string; sha256: string }
  gold?: { path: string; codes: Int32Array }
  /** The dataset whose features the built-in model learnt, and what combining its view changed. */
  modelView?: { path: string; combined: CombinedView }
  model: AggregationModel
  adversaries: 'exclude' | 'down-weight' | 'keep'
  warnings: readonly CrowdInputWarning[]
}

const SIGNAL_TEXT: Record<CollusionSignal, string> = {
  'wrong-agreement': 'agree on wrong answers far beyond chance',
  'copied-sequence': 'answer the same items in the same order with the same labels',
  'time-burst': 'answer the same items within moments of each other',
}

/** One suspicion as a sentence, with the names it refers to. */
export function describeSuspicion(suspicion: Suspicion, table: AnnotationTable): string {
  const percent = (share: number) => `${(100 * share).toFixed(0)}%`
  switch (suspicion.kind) {
    case 'spammer':
      return `answers look independent of the item (κ = ${suspicion.kappa.toFixed(2)}, at most ${suspicion.kappaUpper.toFixed(2)}, over ${suspicion.answers} answers)`
    case 'targeted':
      return (
        `right on ${percent(suspicion.accuracyElsewhere)} of other items but on ${percent(suspicion.accuracyThere)} ` +
        `of items of class "${table.classes[suspicion.classCode]}" (p = ${suspicion.pValue.toExponential(1)})`
      )
    case 'colluding': {
      const partners = suspicion.partners.map((j) => table.annotatorIds[j]).join(', ')
      return `colludes with ${partners} (group ${suspicion.group + 1})`
    }
  }
}

/** Every annotator with its reliability, confusion matrix and why it was flagged, in the table's order. */
export function annotatorEntries(
  table: AnnotationTable,
  result: CrowdResult,
  gold?: Int32Array,
): AnnotatorEntry[] {
  const { reliability, suspicions, weight } = result
  const classCount = table.classes.length
  const goldCounts = gold && goldAgreement(table, gold)
  return table.annotatorIds.map((annotator, j) => {
    const described = suspicions[j].map((suspicion) => ({
      ...suspicion,
      description: describeSuspicion(suspicion, table),
    }))
    const block = j * classCount * classCount
    const confusion = Array.from({ length: classCount }, (_, k) =>
      Array.from(reliability.confusionCounts.subarray(block + k * classCount, block + (k + 1) * classCount)),
    )
    const perClass = confusion.map((row, k) => {
      const answers = row.reduce((sum, value) => sum + value, 0)
      const accuracy = answers > 0 ? row[k] / answers : 0
      return { class: table.classes[k], answers, accuracy, interval: wilsonInterval(row[k], answers) }
    })
    const entry: AnnotatorEntry = {
      annotator,
      answers: reliability.answerCount[j],
      reliability: reliability.accuracy[j],
      interval: [reliability.accuracyLower[j], reliability.accuracyUpper[j]],
      kappa: reliability.kappa[j],
      weight: weight[j],
      flagged: described.length > 0,
      reason: described.map((suspicion) => suspicion.description).join('; '),
      suspicions: described,
      confusion,
      perClass,
    }
    if (goldCounts && goldCounts.total[j] > 0) {
      const right = goldCounts.right[j]
      const total = goldCounts.total[j]
      entry.gold = { right, total, interval: wilsonInterval(right, total) }
    }
    return entry
  })
}

/** The (true class → wrong label) the group's members gave most often. */
function pushedLabel(table: AnnotationTable, members: ReadonlySet<number>, consensus: Int32Array) {
  const classCount = table.classes.length
  const tally = new Float64Array(classCount * classCount)
  for (let a = 0; a < table.item.length; a++) {
    if (!members.has(table.annotator[a])) continue
    const truth = consensus[table.item[a]]
    if (truth !== table.label[a]) tally[truth * classCount + table.label[a]]++
  }
  let best = 0
  for (let cell = 1; cell < tally.length; cell++) if (tally[cell] > tally[best]) best = cell
  if (tally[best] === 0) return undefined
  const trueClass = table.classes[Math.floor(best / classCount)]
  return { trueClass, label: table.classes[best % classCount], count: tally[best] }
}

/** The colluding groups with the label they pushed and the evidence of each pair. */
export function groupEntries(table: AnnotationTable, result: CrowdResult): GroupEntry[] {
  return result.groups.map((group) => ({
    annotators: group.annotators.map((j) => table.annotatorIds[j]),
    pushed: pushedLabel(table, new Set(group.annotators), result.fit.label),
    evidence: group.edges.map(({ first, second, ...rest }) => {
      const pair: [string, string] = [table.annotatorIds[first], table.annotatorIds[second]]
      const said = rest.signals.map((signal) => SIGNAL_TEXT[signal]).join(', and ')
      const numbers = `${rest.jointWrong.toFixed(1)} shared wrong answers where ${rest.expectedJointWrong.toFixed(2)} were expected`
      return { pair, ...rest, description: `${pair[0]} and ${pair[1]} ${said} (${numbers})` }
    }),
  }))
}

/** Per item, the summed weight of its answers in the final fit; 0 when only set-aside annotators answered. */
function trustedWeight(table: AnnotationTable, weight: Float64Array): Float64Array {
  const total = new Float64Array(table.itemIds.length)
  for (let a = 0; a < table.item.length; a++) total[table.item[a]] += weight[table.annotator[a]]
  return total
}

function explain(
  table: AnnotationTable,
  result: CrowdResult,
  i: number,
  overruled: number,
  trusted: Float64Array,
): string {
  const { fit, initialFit } = result
  const label = table.classes[fit.label[i]]
  if (trusted[i] === 0)
    return `only set-aside annotators answered this item; "${label}" is the class prior, not an answer`
  if (overruled >= 0)
    return `the crowd said "${table.classes[overruled]}"; the model's view of the item's features tipped it to "${label}"`
  if (fit.label[i] !== initialFit.label[i])
    return `the crowd said "${table.classes[initialFit.label[i]]}" until the flagged annotators were set aside`
  return `the crowd is unsure: "${label}" has posterior ${fit.confidence[i].toFixed(2)}`
}

function findingsOf(table: AnnotationTable, result: CrowdResult, overruled?: Int32Array): CrowdFinding[] {
  const { fit, initialFit } = result
  const trusted = trustedWeight(table, result.weight)
  const findings: CrowdFinding[] = []
  for (let i = 0; i < table.itemIds.length; i++) {
    const byModel = overruled ? overruled[i] : -1
    const changed = fit.label[i] !== initialFit.label[i] || byModel >= 0
    if (!changed && trusted[i] > 0 && fit.confidence[i] >= LOW_CONFIDENCE) continue
    const label = table.classes[fit.label[i]]
    const explanation = explain(table, result, i, byModel, trusted)
    findings.push({
      item: table.itemIds[i],
      kind: 'label_issue',
      label,
      confidence: fit.confidence[i],
      explanation,
    })
  }
  return findings
}

function describeModelView({ path, combined }: { path: string; combined: CombinedView }) {
  let overruledItems = 0
  for (const previous of combined.overruled) if (previous >= 0) overruledItems++
  return { path, coveredItems: combined.coveredItems, agreement: combined.agreement, overruledItems }
}

/** The JSON-safe report of one aggregation: input, summary, annotators, colluding groups and item findings. */
export function buildCrowdReport(
  table: AnnotationTable,
  result: CrowdResult,
  context: CrowdReportContext,
): CrowdReport {
  const annotators = annotatorEntries(table, result, context.gold?.codes)
  const findings = findingsOf(table, result, context.modelView?.combined.overruled)
  const confidence = result.fit.confidence
  let confidenceSum = 0
  let lowConfidence = 0
  for (const value of confidence) {
    confidenceSum += value
    if (value < LOW_CONFIDENCE) lowConfidence++
  }
  const goldItems = context.gold ? context.gold.codes.filter((code) => code >= 0).length : 0
  return {
    tool: { name: 'poisonguard', version: context.version },
    input: {
      ...context.input,
      answers: table.item.length,
      items: table.itemIds.length,
      annotators: table.annotatorIds.length,
    },
    ...(context.gold ? { gold: { path: context.gold.path, items: goldItems } } : {}),
    ...(context.modelView ? { modelView: describeModelView(context.modelView) } : {}),
    classes: [...table.classes],
    model: context.model,
    adversaries: context.adversaries,
    summary: {
      flaggedAnnotators: annotators.filter((entry) => entry.flagged).length,
      excludedAnnotators: annotators.filter((entry) => entry.weight === 0).length,
      downWeightedAnnotators: annotators.filter((entry) => entry.weight > 0 && entry.weight < 1).length,
      groups: result.groups.length,
      changedItems: result.changedItems,
      meanConfidence: confidence.length > 0 ? confidenceSum / confidence.length : 0,
      lowConfidenceItems: lowConfidence,
      iterations: result.fit.iterations,
    },
    annotators,
    groups: groupEntries(table, result),
    findings,
    warnings: [
      ...context.warnings.map(describeInputWarning),
      ...(result.majoritySuspicious
        ? [
            `${annotators.filter((entry) => entry.flagged).length} of ${annotators.length} annotators look suspicious; ` +
              'a majority is not set aside, so the consensus keeps everyone: review the flagged annotators by hand',
          ]
        : []),
    ],
  }
}
