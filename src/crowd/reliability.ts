import { counts, softConfusionCounts } from './em.js'
import type { AnnotationTable } from './types.js'

/** z of a two-sided 95% interval. */
export const Z_95 = 1.959963984540054

/**
 * Wilson score interval for a proportion of `successes` (may be fractional: expected counts) in `trials`.
 * @see E. B. Wilson, "Probable inference, the law of succession, and statistical inference", JASA 22, 1927.
 */
export function wilsonInterval(successes: number, trials: number, z = Z_95): [number, number] {
  if (trials <= 0) return [0, 1]
  const share = successes / trials
  const z2 = z * z
  const centre = (share + z2 / (2 * trials)) / (1 + z2 / trials)
  const half =
    (z / (1 + z2 / trials)) * Math.sqrt((share * (1 - share)) / trials + z2 / (4 * trials * trials))
  return [Math.max(0, centre - half), Math.min(1, centre + half)]
}

/** Per-annotator reliability against the consensus posteriors, all arrays indexed by annotator. */
export interface AnnotatorReliability {
  /** Answers each annotator gave. */
  readonly answerCount: Int32Array
  /** Expected share of right answers under the posteriors, in [0, 1]. */
  readonly accuracy: Float64Array
  /** 95% Wilson interval of the accuracy: lower and upper bounds. */
  readonly accuracyLower: Float64Array
  readonly accuracyUpper: Float64Array
  /** Cohen's κ against the consensus (0 = answers independent of the item, 1 = always agrees). */
  readonly kappa: Float64Array
  /** Upper bound of κ's 95% interval (large-sample standard error). */
  readonly kappaUpper: Float64Array
  /** Soft counts: expected answers l for items of true class k, at [(j·K + k)·K + l]. */
  readonly confusionCounts: Float64Array
}

/**
 * How far each annotator can be trusted, measured against the posteriors: expected accuracy with a Wilson
 * interval, κ against the consensus and the soft confusion counts.
 * @see J. Cohen, "A coefficient of agreement for nominal scales", Educational and Psychological Measurement 1960.
 */
export function measureReliability(table: AnnotationTable, posterior: Float64Array): AnnotatorReliability {
  const { annotators, classes } = counts(table)
  const confusionCounts = softConfusionCounts(table, posterior)
  const answerCount = new Int32Array(annotators)
  for (let a = 0; a < table.annotator.length; a++) answerCount[table.annotator[a]]++
  const accuracy = new Float64Array(annotators)
  const accuracyLower = new Float64Array(annotators)
  const accuracyUpper = new Float64Array(annotators)
  const kappa = new Float64Array(annotators)
  const kappaUpper = new Float64Array(annotators)
  const trueShare = new Float64Array(classes)
  const givenShare = new Float64Array(classes)
  for (let j = 0; j < annotators; j++) {
    const total = answerCount[j]
    const block = j * classes * classes
    trueShare.fill(0)
    givenShare.fill(0)
    let agreement = 0
    for (let k = 0; k < classes; k++)
      for (let l = 0; l < classes; l++) {
        const cell = confusionCounts[block + k * classes + l]
        trueShare[k] += cell
        givenShare[l] += cell
        if (k === l) agreement += cell
      }
    const observed = total > 0 ? agreement / total : 0
    let chance = 0
    for (let k = 0; k < classes; k++) chance += (trueShare[k] / (total || 1)) * (givenShare[k] / (total || 1))
    accuracy[j] = observed
    ;[accuracyLower[j], accuracyUpper[j]] = wilsonInterval(agreement, total)
    const spread = Math.max(1 - chance, 1e-9)
    kappa[j] = (observed - chance) / spread
    const standardError = total > 0 ? Math.sqrt((observed * (1 - observed)) / total) / spread : 1
    kappaUpper[j] = Math.min(1, kappa[j] + Z_95 * standardError)
  }
  return { answerCount, accuracy, accuracyLower, accuracyUpper, kappa, kappaUpper, confusionCounts }
}

/** Per annotator, answers on gold items and how many matched the gold class. */
export function goldAgreement(
  table: AnnotationTable,
  gold: Int32Array,
): { right: Int32Array; total: Int32Array } {
  const { annotators } = counts(table)
  const right = new Int32Array(annotators)
  const total = new Int32Array(annotators)
  for (let a = 0; a < table.item.length; a++) {
    const truth = gold[table.item[a]]
    if (truth < 0) continue
    total[table.annotator[a]]++
    if (table.label[a] === truth) right[table.annotator[a]]++
  }
  return { right, total }
}
