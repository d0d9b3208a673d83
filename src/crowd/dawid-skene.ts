import {
  classPrior,
  consensusOf,
  counts,
  iterate,
  posteriorFromConfusion,
  SMOOTHING,
  softConfusionCounts,
  weightsOf,
} from './em.js'
import { majorityVotePosterior } from './majority-vote.js'
import type { AnnotationTable, EmOptions, ModelFit } from './types.js'

/** Full confusion matrices: P(label l | true k) from the smoothed soft counts, one row per true class. */
export function fullConfusion(table: AnnotationTable, posterior: Float64Array): Float64Array {
  const { classes } = counts(table)
  const confusion = softConfusionCounts(table, posterior)
  for (let row = 0; row < confusion.length; row += classes) {
    let sum = 0
    for (let l = 0; l < classes; l++) sum += confusion[row + l] + SMOOTHING
    for (let l = 0; l < classes; l++) confusion[row + l] = (confusion[row + l] + SMOOTHING) / sum
  }
  return confusion
}

/** One accuracy per annotator: right with probability a, otherwise any other class alike. */
export function oneCoinConfusion(table: AnnotationTable, posterior: Float64Array): Float64Array {
  const { annotators, classes } = counts(table)
  const tally = softConfusionCounts(table, posterior)
  const confusion = new Float64Array(tally.length)
  const block = classes * classes
  for (let j = 0; j < annotators; j++) {
    let correct = 0
    let total = 0
    for (let k = 0; k < classes; k++)
      for (let l = 0; l < classes; l++) {
        total += tally[j * block + k * classes + l]
        if (k === l) correct += tally[j * block + k * classes + l]
      }
    const accuracy = (correct + SMOOTHING) / (total + 2 * SMOOTHING)
    const wrong = classes > 1 ? (1 - accuracy) / (classes - 1) : 0
    for (let k = 0; k < classes; k++)
      for (let l = 0; l < classes; l++) confusion[j * block + k * classes + l] = k === l ? accuracy : wrong
  }
  return confusion
}

function fitConfusionModel(
  table: AnnotationTable,
  options: EmOptions,
  model: 'dawid-skene' | 'one-coin',
  estimate: (table: AnnotationTable, posterior: Float64Array) => Float64Array,
): ModelFit {
  const { classes } = counts(table)
  const weight = weightsOf(table, options)
  const start = options.start ?? majorityVotePosterior(table, options)
  const { posterior, iterations } = iterate(start, options, (current) =>
    posteriorFromConfusion(
      table,
      estimate(table, current),
      classPrior(current, classes),
      weight,
      options.gold,
    ),
  )
  return { model, iterations, confusion: estimate(table, posterior), ...consensusOf(posterior, classes) }
}

/**
 * Dawid–Skene: a full confusion matrix per annotator and class priors, fitted by EM from the majority vote.
 * @see A. P. Dawid, A. M. Skene, "Maximum likelihood estimation of observer error-rates using the EM
 *   algorithm", Applied Statistics 28(1), 1979.
 */
export function fitDawidSkene(table: AnnotationTable, options: EmOptions = {}): ModelFit {
  return fitConfusionModel(table, options, 'dawid-skene', fullConfusion)
}

/**
 * One-coin Dawid–Skene: each annotator is right with one probability, and wrong answers are spread evenly.
 * @see Y. Zhang, X. Chen, D. Zhou, M. I. Jordan, "Spectral methods meet EM: a provably optimal algorithm for
 *   crowdsourcing", NeurIPS 2014 (the one-coin model).
 */
export function fitOneCoin(table: AnnotationTable, options: EmOptions = {}): ModelFit {
  return fitConfusionModel(table, options, 'one-coin', oneCoinConfusion)
}
