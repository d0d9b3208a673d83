import { consensusOf, counts, iterate, posteriorFromConfusion, SMOOTHING, weightsOf } from './em.js'
import { majorityVotePosterior } from './majority-vote.js'
import type { AnnotationTable, EmOptions, ModelFit } from './types.js'

/** MACE's parameters: competence θ (probability of answering from knowledge) and spam label shares ξ. */
interface MaceState {
  competence: Float64Array
  /** annotatorCount × classCount. */
  spamShare: Float64Array
}

/** P(label l | true k) = θ·[l = k] + (1 − θ)·ξ_l, at [(j·K + k)·K + l]. */
export function maceConfusion(state: MaceState, classCount: number): Float64Array {
  const annotatorCount = state.competence.length
  const confusion = new Float64Array(annotatorCount * classCount * classCount)
  for (let j = 0; j < annotatorCount; j++) {
    const theta = state.competence[j]
    for (let k = 0; k < classCount; k++)
      for (let l = 0; l < classCount; l++) {
        const spam = (1 - theta) * state.spamShare[j * classCount + l]
        confusion[(j * classCount + k) * classCount + l] = (k === l ? theta : 0) + spam
      }
  }
  return confusion
}

/** The M-step: expected knowing and spamming answers under the posterior and the current parameters. */
function updateMace(table: AnnotationTable, posterior: Float64Array, state: MaceState): MaceState {
  const { annotators, classes } = counts(table)
  const knowing = new Float64Array(annotators)
  const total = new Float64Array(annotators)
  const spam = new Float64Array(annotators * classes)
  for (let a = 0; a < table.item.length; a++) {
    const j = table.annotator[a]
    const l = table.label[a]
    const theta = state.competence[j]
    const spamLikelihood = (1 - theta) * state.spamShare[j * classes + l]
    // Only when the true class is the given label can the answer have come from knowledge.
    const knew = (posterior[table.item[a] * classes + l] * theta) / (theta + spamLikelihood)
    knowing[j] += knew
    total[j] += 1
    spam[j * classes + l] += 1 - knew
  }
  const competence = new Float64Array(annotators)
  for (let j = 0; j < annotators; j++) {
    competence[j] = (knowing[j] + SMOOTHING) / (total[j] + 2 * SMOOTHING)
    let spamTotal = 0
    for (let l = 0; l < classes; l++) spamTotal += spam[j * classes + l] + SMOOTHING
    for (let l = 0; l < classes; l++) spam[j * classes + l] = (spam[j * classes + l] + SMOOTHING) / spamTotal
  }
  return { competence, spamShare: spam }
}

/**
 * MACE: each answer is either known (the true class) or spam drawn from the annotator's own label shares;
 * fitted by EM from the majority vote with competence 0.5, a uniform prior over classes. The competence θ is
 * returned as the annotator parameter.
 * @see D. Hovy, T. Berg-Kirkpatrick, A. Vaswani, E. Hovy, "Learning whom to trust with MACE", NAACL 2013.
 */
export function fitMace(table: AnnotationTable, options: EmOptions = {}): ModelFit {
  const { annotators, classes } = counts(table)
  const weight = weightsOf(table, options)
  const uniform = new Float64Array(classes).fill(1 / classes)
  let state: MaceState = {
    competence: new Float64Array(annotators).fill(0.5),
    spamShare: new Float64Array(annotators * classes).fill(1 / classes),
  }
  const start = options.start ?? majorityVotePosterior(table, options)
  const { posterior, iterations } = iterate(start, options, (current) => {
    state = updateMace(table, current, state)
    return posteriorFromConfusion(table, maceConfusion(state, classes), uniform, weight, options.gold)
  })
  return {
    model: 'mace',
    iterations,
    confusion: maceConfusion(state, classes),
    annotatorParameter: state.competence,
    ...consensusOf(posterior, classes),
  }
}
