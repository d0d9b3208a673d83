import type { AnnotationTable, Consensus, EmOptions } from './types.js'

/** Smoothing pseudo-count added to every cell a model estimates, so no probability is ever exactly 0. */
export const SMOOTHING = 0.01

export function counts(table: AnnotationTable): { items: number; annotators: number; classes: number } {
  return { items: table.itemIds.length, annotators: table.annotatorIds.length, classes: table.classes.length }
}

/** The weight of every annotator: the caller's, or 1. */
export function weightsOf(table: AnnotationTable, options: EmOptions): Float64Array {
  return options.annotatorWeight ?? new Float64Array(table.annotatorIds.length).fill(1)
}

/** Sets the posterior of every gold item to its class, in place. */
export function fixGold(posterior: Float64Array, classCount: number, gold?: Int32Array): void {
  if (!gold) return
  for (let row = 0; row < gold.length; row++) {
    if (gold[row] < 0) continue
    posterior.fill(0, row * classCount, (row + 1) * classCount)
    posterior[row * classCount + gold[row]] = 1
  }
}

/** Turns each row of log scores into probabilities in place; gold rows become one-hot. */
export function normalizeRows(logScores: Float64Array, classCount: number, gold?: Int32Array): void {
  const rowCount = logScores.length / classCount
  for (let row = 0; row < rowCount; row++) {
    const offset = row * classCount
    let max = -Infinity
    for (let k = 0; k < classCount; k++) max = Math.max(max, logScores[offset + k])
    let sum = 0
    for (let k = 0; k < classCount; k++) {
      const value = Math.exp(logScores[offset + k] - max)
      logScores[offset + k] = value
      sum += value
    }
    for (let k = 0; k < classCount; k++) logScores[offset + k] /= sum
  }
  fixGold(logScores, classCount, gold)
}

/**
 * The E-step of every confusion-matrix model: log P(true k) + Σ over an item's answers of weight ·
 * log P(label | true k), normalised per item. Gold items are fixed to their class.
 */
export function posteriorFromConfusion(
  table: AnnotationTable,
  confusion: Float64Array,
  prior: Float64Array,
  weight: Float64Array,
  gold?: Int32Array,
): Float64Array {
  const { items, classes } = counts(table)
  const posterior = new Float64Array(items * classes)
  const logPrior = prior.map(Math.log)
  const logConfusion = confusion.map(Math.log)
  for (let i = 0; i < items; i++) posterior.set(logPrior, i * classes)
  for (let a = 0; a < table.item.length; a++) {
    const j = table.annotator[a]
    const w = weight[j]
    if (w === 0) continue
    const offset = table.item[a] * classes
    const base = j * classes * classes + table.label[a]
    for (let k = 0; k < classes; k++) posterior[offset + k] += w * logConfusion[base + k * classes]
  }
  normalizeRows(posterior, classes, gold)
  return posterior
}

/** Class shares under the posteriors, smoothed. */
export function classPrior(posterior: Float64Array, classCount: number): Float64Array {
  const prior = new Float64Array(classCount).fill(SMOOTHING)
  for (let index = 0; index < posterior.length; index++) prior[index % classCount] += posterior[index]
  let sum = 0
  for (const value of prior) sum += value
  return prior.map((value) => value / sum)
}

/** Soft counts Σ posterior(k) over each annotator's answers with label l, at [(j·K + k)·K + l]. */
export function softConfusionCounts(table: AnnotationTable, posterior: Float64Array): Float64Array {
  const { annotators, classes } = counts(table)
  const tally = new Float64Array(annotators * classes * classes)
  for (let a = 0; a < table.item.length; a++) {
    const offset = table.item[a] * classes
    const base = table.annotator[a] * classes * classes + table.label[a]
    for (let k = 0; k < classes; k++) tally[base + k * classes] += posterior[offset + k]
  }
  return tally
}

/** Largest absolute difference between two posteriors of the same shape. */
export function maxChange(previous: Float64Array, next: Float64Array): number {
  let change = 0
  for (let index = 0; index < next.length; index++)
    change = Math.max(change, Math.abs(next[index] - previous[index]))
  return change
}

/** Consensus label (argmax, lower class on ties) and its posterior for every item. */
export function consensusOf(posterior: Float64Array, classCount: number): Consensus {
  const itemCount = posterior.length / classCount
  const label = new Int32Array(itemCount)
  const confidence = new Float64Array(itemCount)
  for (let i = 0; i < itemCount; i++) {
    let best = 0
    for (let k = 1; k < classCount; k++)
      if (posterior[i * classCount + k] > posterior[i * classCount + best]) best = k
    label[i] = best
    confidence[i] = posterior[i * classCount + best]
  }
  return { posterior, label, confidence }
}

/** Runs `step` (posterior → posterior) until nothing moves by more than the tolerance or the budget ends. */
export function iterate(
  start: Float64Array,
  options: EmOptions,
  step: (posterior: Float64Array) => Float64Array,
): { posterior: Float64Array; iterations: number } {
  const tolerance = options.tolerance ?? 1e-6
  const maxIterations = options.maxIterations ?? 100
  let posterior = start
  let iterations = 0
  while (iterations < maxIterations) {
    const next = step(posterior)
    iterations++
    const change = maxChange(posterior, next)
    posterior = next
    if (change <= tolerance) break
  }
  return { posterior, iterations }
}
