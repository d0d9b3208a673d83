import { classPrior, consensusOf, counts, iterate, normalizeRows, weightsOf } from './em.js'
import { majorityVotePosterior } from './majority-vote.js'
import type { AnnotationTable, EmOptions, ModelFit } from './types.js'

/** Means of the Gaussian priors (variance 1) on ability α and on log inverse difficulty b = log β; also the start. */
export const GLAD_ABILITY_MEAN = 1
export const GLAD_LOG_INVERSE_DIFFICULTY_MEAN = 0
/** σ saturates quickly, so a full Newton step from a flat region can overshoot to the mirrored solution. */
const MAX_NEWTON_STEP = 0.5

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x))
}

interface GladState {
  ability: Float64Array
  /** b_i = log β_i, so β stays positive. */
  logInverseDifficulty: Float64Array
  prior: Float64Array
}

/** The E-step: P(label = true class) = σ(α_j β_i), the rest spread evenly over the other classes. */
function gladPosterior(table: AnnotationTable, state: GladState, weight: Float64Array, gold?: Int32Array) {
  const { items, classes } = counts(table)
  const posterior = new Float64Array(items * classes)
  const logPrior = state.prior.map(Math.log)
  for (let i = 0; i < items; i++) posterior.set(logPrior, i * classes)
  for (let a = 0; a < table.item.length; a++) {
    const j = table.annotator[a]
    if (weight[j] === 0) continue
    const i = table.item[a]
    const right = sigmoid(state.ability[j] * Math.exp(state.logInverseDifficulty[i]))
    const logRight = Math.log(Math.max(right, 1e-300))
    const logWrong = Math.log(Math.max(1 - right, 1e-300) / Math.max(classes - 1, 1))
    for (let k = 0; k < classes; k++)
      posterior[i * classes + k] += weight[j] * (k === table.label[a] ? logRight : logWrong)
  }
  normalizeRows(posterior, classes, gold)
  return posterior
}

/**
 * One damped Newton step per parameter on the expected complete log-likelihood plus the Gaussian log-priors:
 * abilities first, then difficulties (each block separates into one-dimensional problems).
 */
function updateGlad(table: AnnotationTable, posterior: Float64Array, state: GladState, weight: Float64Array) {
  const { items, annotators, classes } = counts(table)
  const { ability, logInverseDifficulty: b } = state
  const gradient = new Float64Array(Math.max(items, annotators))
  const curvature = new Float64Array(gradient.length)
  const pass = (forAbility: boolean) => {
    const size = forAbility ? annotators : items
    const value = forAbility ? ability : b
    const mean = forAbility ? GLAD_ABILITY_MEAN : GLAD_LOG_INVERSE_DIFFICULTY_MEAN
    for (let index = 0; index < size; index++) {
      gradient[index] = -(value[index] - mean)
      curvature[index] = 1
    }
    for (let a = 0; a < table.item.length; a++) {
      const i = table.item[a]
      const j = table.annotator[a]
      const beta = Math.exp(b[i])
      const right = sigmoid(ability[j] * beta)
      const residual = posterior[i * classes + table.label[a]] - right
      const spread = right * (1 - right)
      if (forAbility) {
        gradient[j] += residual * beta
        curvature[j] += spread * beta * beta
      } else {
        const x = ability[j] * beta
        gradient[i] += weight[j] * residual * x
        curvature[i] += weight[j] * spread * x * x
      }
    }
    for (let index = 0; index < size; index++) {
      const step = gradient[index] / curvature[index]
      value[index] += Math.max(-MAX_NEWTON_STEP, Math.min(MAX_NEWTON_STEP, step))
    }
  }
  pass(true)
  pass(false)
  state.prior = classPrior(posterior, classes)
}

/**
 * GLAD: annotator ability α_j ∈ ℝ and item inverse difficulty β_i > 0; an answer is right with probability
 * σ(α_j β_i). Fitted by generalised EM from the majority vote, one damped Newton step per M-step; priors
 * α ~ N(1, 1), log β ~ N(0, 1). Multi-class as in the paper's extension: wrong answers spread evenly.
 * @see J. Whitehill, P. Ruvolo, T. Wu, J. Bergsma, J. Movellan, "Whose vote should count more: optimal
 *   integration of labels from labelers of unknown expertise", NeurIPS 2009.
 */
export function fitGlad(table: AnnotationTable, options: EmOptions = {}): ModelFit {
  const { items, annotators, classes } = counts(table)
  const weight = weightsOf(table, options)
  const start = options.start ?? majorityVotePosterior(table, options)
  const state: GladState = {
    ability: new Float64Array(annotators).fill(GLAD_ABILITY_MEAN),
    logInverseDifficulty: new Float64Array(items).fill(GLAD_LOG_INVERSE_DIFFICULTY_MEAN),
    prior: classPrior(start, classes),
  }
  const { posterior, iterations } = iterate(start, options, (current) => {
    updateGlad(table, current, state, weight)
    return gladPosterior(table, state, weight, options.gold)
  })
  return {
    model: 'glad',
    iterations,
    annotatorParameter: state.ability,
    itemParameter: state.logInverseDifficulty.map(Math.exp),
    ...consensusOf(posterior, classes),
  }
}
