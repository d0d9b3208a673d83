import { z } from 'zod'
import type { Dataset } from '../../data/dataset.js'
import { type Rng, shuffledIndices } from '../../util/rng.js'
import { type AddedRecipe, addRows, otherClass, requireContent } from '../added-rows.js'
import { jitterRow, measureFeatures } from '../feature-space.js'
import { findClass, labelParam, ParamProblems, poisonSourceParam, rateParam } from '../params.js'
import {
  attackResult,
  countForRate,
  labelledRowsWhere,
  poisonedDataset,
  rowRange,
  sampleRows,
} from '../rows.js'
import { nearDuplicateText, noiseText } from '../text-edits.js'
import type { Attack } from '../types.js'

const paramsSchema = z
  .object({
    rate: rateParam(0.1),
    mode: z
      .enum(['noise', 'contradictory', 'flood'])
      .default('noise')
      .describe(
        'noise: perturbed records with random labels; contradictory: exact copies with a wrong label; ' +
          'flood: many near-copies of a few records, all with one wrong label',
      ),
    noiseScale: z
      .number()
      .gt(0)
      .default(1)
      .describe('noise mode: standard deviation of the added noise, in units'),
    jitter: z
      .number()
      .min(0)
      .default(0.02)
      .describe('flood mode: standard deviation of the near-copies’ noise, in units'),
    seeds: z.number().int().min(1).default(1).describe('flood mode: how many records the flood copies'),
    floodLabel: labelParam(
      'flood mode: label of every flood record (default: a random wrong label per copied record)',
    ),
    source: poisonSourceParam,
  })
  .strict()

export type AvailabilityParams = z.infer<typeof paramsSchema>

type Mode = AvailabilityParams['mode']

function noiseRecipe(dataset: Dataset, params: AvailabilityParams, count: number, rng: Rng): AddedRecipe {
  const classCount = dataset.labels!.classes.length
  const from = Int32Array.from({ length: count }, () => rng.int(dataset.rowCount))
  const codes = Int32Array.from({ length: count }, () => rng.int(classCount))
  const scale = dataset.features ? measureFeatures(dataset) : undefined
  const texts = dataset.texts
  return {
    from,
    codes,
    tag: 'noise',
    source: params.source,
    features: scale
      ? (index, out) => jitterRow(dataset.features!, from[index], params.noiseScale, scale, rng, out)
      : undefined,
    text: texts
      ? (index) =>
          noiseText(texts, Math.min(300, Math.max(5, Math.round(texts[from[index]].length / 6))), rng)
      : undefined,
  }
}

function contradictoryRecipe(
  dataset: Dataset,
  params: AvailabilityParams,
  count: number,
  rng: Rng,
): AddedRecipe {
  const labels = dataset.labels!
  const labelled = labelledRowsWhere(labels.codes, () => true)
  const order = shuffledIndices(labelled.length, rng)
  // Cycling through a shuffled order copies every record once before any twice.
  const from = Int32Array.from({ length: count }, (_, index) => labelled[order[index % labelled.length]])
  const codes = Int32Array.from(from, (row) => otherClass(labels.codes[row], labels.classes.length, rng))
  return { from, codes, tag: 'dup', source: params.source }
}

function floodRecipe(
  dataset: Dataset,
  params: AvailabilityParams,
  count: number,
  floodCode: number,
  rng: Rng,
) {
  const labels = dataset.labels!
  const candidates = labelledRowsWhere(labels.codes, (code) => code !== floodCode)
  const seeds = sampleRows(candidates, Math.min(params.seeds, candidates.length), rng)
  const seedCodes = Int32Array.from(seeds, (row) =>
    floodCode >= 0 ? floodCode : otherClass(labels.codes[row], labels.classes.length, rng),
  )
  const from = Int32Array.from({ length: count }, (_, index) => seeds[index % seeds.length])
  const codes = Int32Array.from({ length: count }, (_, index) => seedCodes[index % seeds.length])
  const scale = dataset.features ? measureFeatures(dataset) : undefined
  const texts = dataset.texts
  const recipe: AddedRecipe = {
    from,
    codes,
    tag: 'flood',
    source: params.source,
    features: scale
      ? (index, out) => jitterRow(dataset.features!, from[index], params.jitter, scale, rng, out)
      : undefined,
    text: texts ? (index) => nearDuplicateText(texts[from[index]], rng) : undefined,
  }
  return { recipe, seeds }
}

function checkParams(dataset: Dataset, params: AvailabilityParams, count: number) {
  const problems = new ParamProblems('availability')
  const labels = dataset.labels!
  if (labels.classes.length < 2) problems.add('mode', 'wrong labels need at least 2 classes')
  const floodCode =
    params.floodLabel === undefined ? -1 : findClass(labels, params.floodLabel, 'floodLabel', problems)
  const labelledCount = labelledRowsWhere(labels.codes, () => true).length
  if (params.mode !== 'noise' && labelledCount === 0)
    problems.add('mode', `${params.mode} needs labelled records to copy`)
  if (params.mode === 'flood' && floodCode >= 0) {
    const others = labelledRowsWhere(labels.codes, (code) => code !== floodCode).length
    if (others === 0)
      problems.add('floodLabel', `every labelled record is already labelled ${params.floodLabel}`)
  }
  if (count > 10 * dataset.rowCount) problems.add('rate', 'adds more than 10 records per input record')
  problems.throwIfAny()
  return floodCode
}

/**
 * Availability poisoning: appends records that degrade the whole model rather than one prediction — random
 * noise with random labels, contradictory duplicates, or a flood of near-duplicates with one wrong label.
 * @see Biggio, Nelson, Laskov. Poisoning Attacks against Support Vector Machines. ICML 2012.
 * @see Steinhardt, Koh, Liang. Certified Defenses for Data Poisoning Attacks. NeurIPS 2017 (concentrated poisons).
 */
export const availabilityAttack: Attack<AvailabilityParams> = {
  id: 'availability',
  summary:
    'Availability: appends noise records, contradictory duplicates or a flood of mislabelled near-copies',
  requires: ['labels'],
  params: paramsSchema,
  apply(dataset: Dataset, params: AvailabilityParams, rng: Rng) {
    requireContent(dataset, 'availability')
    const count = countForRate(params.rate, dataset.rowCount)
    const floodCode = checkParams(dataset, params, count)
    const mode: Mode = params.mode
    const info: Record<string, unknown> = { mode, added: count }
    let recipe: AddedRecipe
    if (mode === 'noise') {
      recipe = noiseRecipe(dataset, params, count, rng)
      info.noiseScale = params.noiseScale
    } else if (mode === 'contradictory') recipe = contradictoryRecipe(dataset, params, count, rng)
    else {
      const flood = floodRecipe(dataset, params, count, floodCode, rng)
      recipe = flood.recipe
      info.jitter = params.jitter
      info.seedIds = Array.from(flood.seeds, (row) => dataset.ids[row])
      info.floodLabels = Array.from(new Set(recipe.codes), (code) => dataset.labels!.classes[code])
    }
    const added = addRows(dataset, recipe)
    return attackResult(poisonedDataset(dataset, { added }), rowRange(dataset.rowCount, count), info)
  },
}
