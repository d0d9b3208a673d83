import { z } from 'zod'
import type { Dataset } from '../../data/dataset.js'
import { matrixRow } from '../../data/matrix.js'
import type { Rng } from '../../util/rng.js'
import { conformRecord, type FeatureScale, measureFeatures, nearestRow } from '../feature-space.js'
import { findClass, labelParam, ParamProblems, rateParam } from '../params.js'
import { attackResult, checkEligible, countForRate, labelledRowsWhere, poisonedDataset } from '../rows.js'
import type { Attack } from '../types.js'
import {
  type CollisionSettings,
  collide,
  collisionParams,
  collisionTargetParam,
  collisionTolerance,
  scaledDistances,
} from './collide.js'

const paramsSchema = z
  .object({
    rate: rateParam(0.01),
    targetId: collisionTargetParam,
    base: labelParam(
      'class whose records become the poisons, i.e. the class the target should be taken for ' +
        '(default: the class of the target’s nearest record of another class)',
    ),
    ...collisionParams,
  })
  .strict()

export type CleanLabelParams = z.infer<typeof paramsSchema>

interface CollisionPlan {
  target: number
  base: number
  baseRows: Int32Array
}

function chooseTarget(
  dataset: Dataset,
  params: CleanLabelParams,
  base: number,
  rng: Rng,
  problems: ParamProblems,
) {
  if (params.targetId !== undefined) {
    const target = dataset.ids.indexOf(params.targetId)
    if (target < 0) problems.add('targetId', `no record has the id ${JSON.stringify(params.targetId)}`)
    return target
  }
  const candidates = labelledRowsWhere(dataset.labels!.codes, (code) => code !== base)
  if (candidates.length === 0) problems.add('targetId', 'no labelled record outside the base class to target')
  return candidates.length > 0 ? candidates[rng.int(candidates.length)] : -1
}

/** The base-class rows nearest the target (in units), as many as the rate asks for. */
function nearestBaseRows(
  dataset: Dataset,
  target: number,
  eligible: Int32Array,
  count: number,
  scale: FeatureScale,
) {
  const features = dataset.features!
  const targetRow = matrixRow(features, target)
  const distances = Float64Array.from(
    eligible,
    (row) => scaledDistances(matrixRow(features, row), targetRow, scale.unit).l2,
  )
  const order = Array.from(eligible.keys()).sort((a, b) => distances[a] - distances[b] || a - b)
  return Int32Array.from(order.slice(0, count), (index) => eligible[index]).sort()
}

function planCollision(
  dataset: Dataset,
  params: CleanLabelParams,
  scale: FeatureScale,
  rng: Rng,
): CollisionPlan {
  const problems = new ParamProblems('clean-label')
  const labels = dataset.labels!
  let base = params.base === undefined ? -1 : findClass(labels, params.base, 'base', problems)
  const target = chooseTarget(dataset, params, base, rng, problems)
  if (target >= 0 && base < 0 && params.base === undefined) {
    const own = labels.codes[target]
    const nearest = nearestRow(
      dataset.features!,
      target,
      scale,
      (row) => labels.codes[row] >= 0 && labels.codes[row] !== own,
    )
    base = nearest < 0 ? -1 : labels.codes[nearest]
    if (base < 0) problems.add('base', 'no record of another class than the target exists')
  }
  if (target >= 0 && base >= 0 && labels.codes[target] === base)
    problems.add('base', `the target ${dataset.ids[target]} is already labelled ${labels.classes[base]}`)
  problems.throwIfAny()
  const eligible = labelledRowsWhere(labels.codes, (code) => code === base).filter((row) => row !== target)
  const count = countForRate(params.rate, dataset.rowCount)
  checkEligible(count, eligible.length, dataset.rowCount, `labelled ${labels.classes[base]}`, problems)
  problems.throwIfAny()
  return { target, base, baseRows: nearestBaseRows(dataset, target, eligible, count, scale) }
}

/** Six significant digits: poisons are stored as float32, so further digits are rounding noise. */
function rounded(value: number): number {
  return Number(value.toPrecision(6))
}

function mean(values: Float64Array): number {
  return rounded(values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length)
}

function largest(values: Float64Array): number {
  return rounded(values.reduce((best, value) => Math.max(best, value), 0))
}

/**
 * Clean-label feature collision: moves base-class inputs toward a target within a budget while their labels stay
 * correct, so a model fitting them pulls the target into the base class. In the linear representation used here
 * (pixels, or standardised columns, the spaces the built-in model and the scan start from) the collision
 * objective is a convex quadratic whose minimiser is the interpolation (t + βb)/(1 + β); the budget projection
 * decides how far each poison really gets, and `info` reports the budget used. A poison keeps its base record's
 * categories, and whole-number columns stay whole, rounded toward the base. A deep network's features would
 * need its gradients instead.
 * @see Shafahi, Huang, Najibi, Suciu, Studer, Dumitras, Goldstein. Poison Frogs! Targeted Clean-Label Poisoning
 *   Attacks on Neural Networks. NeurIPS 2018.
 */
export const cleanLabelAttack: Attack<CleanLabelParams> = {
  id: 'clean-label',
  summary:
    'Clean-label feature collision: base-class inputs nudged toward a target within a budget, labels kept',
  requires: ['labels', 'features'],
  params: paramsSchema,
  apply(dataset: Dataset, params: CleanLabelParams, rng: Rng) {
    const scale = measureFeatures(dataset)
    const plan = planCollision(dataset, params, scale, rng)
    const features = Float32Array.from(dataset.features!.data)
    const original = dataset.features!
    const targetRow = matrixRow(original, plan.target)
    const settings: CollisionSettings = { ...params, tolerance: collisionTolerance }
    const count = plan.baseRows.length
    const [l2, linf, before, after] = Array.from({ length: 4 }, () => new Float64Array(count))
    let iterations = 0
    plan.baseRows.forEach((row, index) => {
      const baseRow = matrixRow(original, row)
      const out = features.subarray(row * original.cols, (row + 1) * original.cols)
      iterations = Math.max(iterations, collide(baseRow, targetRow, scale, settings, out))
      conformRecord(out, baseRow, scale, { towardOriginal: true })
      const moved = scaledDistances(out, baseRow, scale.unit)
      l2[index] = moved.l2
      linf[index] = moved.linf
      before[index] = scaledDistances(baseRow, targetRow, scale.unit).l2
      after[index] = scaledDistances(out, targetRow, scale.unit).l2
    })
    const used = params.norm === 'l2' ? l2 : linf
    const labels = dataset.labels!
    return attackResult(poisonedDataset(dataset, { features }), plan.baseRows, {
      targetId: dataset.ids[plan.target],
      targetLabel: labels.codes[plan.target] >= 0 ? labels.classes[labels.codes[plan.target]] : null,
      base: labels.classes[plan.base],
      poisoned: count,
      unit: scale.kind,
      norm: params.norm,
      epsilon: params.epsilon,
      budgetUsed: {
        mean: rounded(mean(used) / params.epsilon),
        max: rounded(largest(used) / params.epsilon),
      },
      perturbation: { meanL2: mean(l2), maxL2: largest(l2), meanLinf: mean(linf), maxLinf: largest(linf) },
      distanceToTarget: { meanBefore: mean(before), meanAfter: mean(after) },
      iterations,
    })
  },
}
