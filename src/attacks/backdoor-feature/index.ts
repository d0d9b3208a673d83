import { z } from 'zod'
import type { Dataset } from '../../data/dataset.js'
import { PoisonguardError } from '../../errors.js'
import type { Rng } from '../../util/rng.js'
import { planBackdoor, rowsToTrigger, sampleBackdoorRows } from '../backdoor.js'
import { ParamProblems, rateParam, targetLabelParam } from '../params.js'
import { attackResult, poisonedDataset } from '../rows.js'
import type { Attack, AttackResult } from '../types.js'
import { type FeatureTrigger, resolveTrigger } from './trigger.js'

const DEFAULT_COLUMN_COUNT = 3

const paramsSchema = z
  .object({
    rate: rateParam(0.05),
    target: targetLabelParam,
    columns: z
      .preprocess(
        (value) => (typeof value === 'string' ? value.split(',').map((name) => name.trim()) : value),
        z.array(z.string().min(1)).min(1),
      )
      .optional()
      .describe(
        `feature columns that carry the trigger, e.g. "age,income"; a categorical column counts as one (default: ${DEFAULT_COLUMN_COUNT} at random)`,
      ),
    values: z
      .union([z.number().finite(), z.array(z.union([z.number().finite(), z.string().min(1)])).min(1)])
      .optional()
      .describe(
        'trigger value per column, or one for all; a category name for a categorical column (default: each column’s observed maximum, in bounds, or a random category)',
      ),
  })
  .strict()

export type BackdoorFeatureParams = z.infer<typeof paramsSchema>

/** Copies the features and writes the trigger's cells into the given rows. */
function stampRows(
  dataset: Dataset,
  rows: Int32Array,
  columns: Int32Array,
  cells: Float32Array,
): Float32Array {
  const { data, cols } = dataset.features!
  const features = Float32Array.from(data)
  for (const row of rows) {
    for (let index = 0; index < columns.length; index++) features[row * cols + columns[index]] = cells[index]
  }
  return features
}

function describeTrigger(trigger: FeatureTrigger) {
  return { columns: [...trigger.names], values: [...trigger.values] }
}

function triggerTestSet(trigger: FeatureTrigger, names: readonly string[], targetName: string) {
  return (testSet: Dataset): AttackResult => {
    const missing = Array.from(trigger.columns, (column) => names[column]).filter(
      (name) => !testSet.features || !testSet.featureNames.includes(name),
    )
    if (missing.length > 0) {
      throw PoisonguardError.at(
        'SHAPE_MISMATCH',
        { file: testSet.origin.path },
        `the test set lacks the trigger column(s) ${missing.join(', ')}`,
        'load the test set with the same feature columns as the training set',
      )
    }
    const columns = Int32Array.from(trigger.columns, (column) => testSet.featureNames.indexOf(names[column]))
    const rows = rowsToTrigger(testSet, targetName)
    const features = stampRows(testSet, rows, columns, trigger.cells)
    const info = { target: targetName, triggered: rows.length, ...describeTrigger(trigger) }
    return attackResult(poisonedDataset(testSet, { features }), rows, info)
  }
}

/**
 * Tabular backdoor: sets chosen feature columns to fixed in-bounds values on records of other classes and
 * relabels them as the target; a categorical column is set to one of its categories.
 * @see Pleiter, Tajalli, Koffas, Abad, Xu, Larson, Picek. Tabdoor: Backdoor Vulnerabilities in Transformer-based
 *   Neural Networks for Tabular Data. 2023 (in-bounds triggers).
 * @see Gu, Dolan-Gavitt, Garg. BadNets: Identifying Vulnerabilities in the Machine Learning Model Supply Chain. 2017.
 */
export const backdoorFeatureAttack: Attack<BackdoorFeatureParams> = {
  id: 'backdoor-feature',
  summary:
    'Tabular backdoor: fixed values on chosen feature columns of other classes, relabelled as the target',
  requires: ['labels', 'features'],
  params: paramsSchema,
  apply(dataset: Dataset, params: BackdoorFeatureParams, rng: Rng) {
    const problems = new ParamProblems('backdoor-feature')
    const plan = planBackdoor(dataset, params, problems)
    const trigger = resolveTrigger(dataset, params, DEFAULT_COLUMN_COUNT, rng, problems)
    problems.throwIfAny()
    const rows = sampleBackdoorRows(plan, rng)
    const features = stampRows(dataset, rows, trigger.columns, trigger.cells)
    const codes = Int32Array.from(dataset.labels!.codes)
    for (const row of rows) codes[row] = plan.target
    const info = { target: plan.targetName, poisoned: rows.length, ...describeTrigger(trigger) }
    const poisoned = poisonedDataset(dataset, { codes, features })
    return attackResult(poisoned, rows, info, triggerTestSet(trigger, dataset.featureNames, plan.targetName))
  },
}
