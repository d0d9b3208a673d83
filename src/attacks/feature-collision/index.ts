import { z } from 'zod'
import type { Dataset } from '../../data/dataset.js'
import { matrixRow } from '../../data/matrix.js'
import type { Rng } from '../../util/rng.js'
import {
  collide,
  collisionParams,
  collisionTargetParam,
  collisionTolerance,
  scaledDistances,
} from '../clean-label/collide.js'
import { conformRecord, measureFeatures } from '../feature-space.js'
import { findClass, labelParam, ParamProblems } from '../params.js'
import { attackResult, labelledRowsWhere, poisonedDataset } from '../rows.js'
import type { Attack } from '../types.js'
import {
  featureDistance,
  featuresOf,
  fitPrincipalFeatures,
  type PrincipalFeatures,
  principalGradient,
} from './principal-features.js'

const paramsSchema = z
  .object({
    poisons: z.number().int().min(1).default(60).describe('base-class records turned into poisons'),
    targetId: collisionTargetParam,
    base: labelParam(
      'class whose records become the poisons, i.e. the class the target should be taken for ' +
        '(default: the class of the target’s nearest record of another class in feature space)',
    ),
    components: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(16)
      .describe('dimensions of the learned feature space the poisons collide with the target in'),
    ...collisionParams,
  })
  .strict()

export type FeatureCollisionParams = z.infer<typeof paramsSchema>

interface Plan {
  readonly target: number
  readonly base: number
  readonly baseRows: Int32Array
}

function chooseTarget(dataset: Dataset, params: FeatureCollisionParams, rng: Rng, problems: ParamProblems) {
  if (params.targetId !== undefined) {
    const target = dataset.ids.indexOf(params.targetId)
    if (target < 0) problems.add('targetId', `no record has the id ${JSON.stringify(params.targetId)}`)
    return target
  }
  const candidates = labelledRowsWhere(dataset.labels!.codes, () => true)
  if (candidates.length === 0) problems.add('targetId', 'no labelled record to target')
  return candidates.length > 0 ? candidates[rng.int(candidates.length)] : -1
}

/** Every labelled record of another class than the target's, nearest the target in feature space first. */
function othersByFeatureDistance(dataset: Dataset, space: PrincipalFeatures, target: number) {
  const codes = dataset.labels!.codes
  const features = dataset.features!
  const aim = featuresOf(space, matrixRow(features, target))
  const rows = labelledRowsWhere(codes, (code) => code !== codes[target])
  const distances = Float64Array.from(rows, (row) =>
    featureDistance(featuresOf(space, matrixRow(features, row)), aim),
  )
  const order = Array.from(rows.keys()).sort((a, b) => distances[a] - distances[b] || a - b)
  return Int32Array.from(order, (index) => rows[index])
}

function planCollision(
  dataset: Dataset,
  params: FeatureCollisionParams,
  space: PrincipalFeatures,
  rng: Rng,
): Plan {
  const problems = new ParamProblems('feature-collision')
  const labels = dataset.labels!
  const named = params.base === undefined ? -1 : findClass(labels, params.base, 'base', problems)
  const target = chooseTarget(dataset, params, rng, problems)
  problems.throwIfAny()
  if (named >= 0 && labels.codes[target] === named)
    problems.add('base', `the target ${dataset.ids[target]} is already labelled ${labels.classes[named]}`)
  const others = othersByFeatureDistance(dataset, space, target)
  if (others.length === 0) problems.add('base', 'no record of another class than the target exists')
  problems.throwIfAny()
  const base = named >= 0 ? named : labels.codes[others[0]]
  const eligible = others.filter((row) => labels.codes[row] === base)
  if (params.poisons > eligible.length)
    problems.add(
      'poisons',
      `asks for ${params.poisons} poisons but only ${eligible.length} records are labelled ${labels.classes[base]}`,
    )
  problems.throwIfAny()
  return { target, base, baseRows: eligible.slice(0, params.poisons).sort() }
}

/** Mean and largest of some non-negative values, to six significant digits (poisons are stored as float32). */
function summarise(values: Float64Array) {
  let sum = 0
  let largest = 0
  for (const value of values) {
    sum += value
    largest = Math.max(largest, value)
  }
  const rounded = (value: number) => Number(value.toPrecision(6))
  return { mean: rounded(values.length > 0 ? sum / values.length : 0), max: rounded(largest) }
}

/**
 * Feature-collision ("poison frog") attack: the base-class records nearest a target instance are each moved, within
 * a budget, toward the target in a learned feature space (the data's leading principal directions, as a network's
 * feature layer would be) while staying close to themselves in input space; labels are kept. A model that fits
 * them learns the target's features as the base class and so misclassifies the target. A poison keeps its base
 * record's categories, and whole-number columns stay whole, rounded toward the base.
 * @see Shafahi, Huang, Najibi, Suciu, Studer, Dumitras, Goldstein. Poison Frogs! Targeted Clean-Label Poisoning
 *   Attacks on Neural Networks. NeurIPS 2018.
 */
export const featureCollisionAttack: Attack<FeatureCollisionParams> = {
  id: 'feature-collision',
  summary: 'Poison frogs: base-class records moved toward one target in feature space, labels kept',
  requires: ['labels', 'features'],
  params: paramsSchema,
  apply(dataset: Dataset, params: FeatureCollisionParams, rng: Rng) {
    const scale = measureFeatures(dataset)
    const original = dataset.features!
    const space = fitPrincipalFeatures(original, scale.unit, params.components, rng)
    const plan = planCollision(dataset, params, space, rng)
    const features = Float32Array.from(original.data)
    const targetRow = matrixRow(original, plan.target)
    const aim = featuresOf(space, targetRow)
    const gradient = principalGradient(space)
    const count = plan.baseRows.length
    const [moved, before, after] = Array.from({ length: 3 }, () => new Float64Array(count))
    let iterations = 0
    plan.baseRows.forEach((row, index) => {
      const baseRow = matrixRow(original, row)
      const out = features.subarray(row * original.cols, (row + 1) * original.cols)
      const settings = { ...params, tolerance: collisionTolerance }
      iterations = Math.max(iterations, collide(baseRow, targetRow, scale, settings, out, gradient))
      conformRecord(out, baseRow, scale, { towardOriginal: true })
      const distance = scaledDistances(out, baseRow, scale.unit)
      moved[index] = params.norm === 'l2' ? distance.l2 : distance.linf
      before[index] = featureDistance(featuresOf(space, baseRow), aim)
      after[index] = featureDistance(featuresOf(space, out), aim)
    })
    const labels = dataset.labels!
    return attackResult(poisonedDataset(dataset, { features }), plan.baseRows, {
      targetId: dataset.ids[plan.target],
      targetLabel: labels.classes[labels.codes[plan.target]],
      base: labels.classes[plan.base],
      poisoned: count,
      components: space.directions.cols,
      unit: scale.kind,
      norm: params.norm,
      epsilon: params.epsilon,
      perturbation: summarise(moved),
      featureDistanceToTarget: { before: summarise(before), after: summarise(after) },
      iterations,
    })
  },
}
