import { z } from 'zod'
import type { Dataset } from '../../data/dataset.js'
import { channelCount } from '../../data/image-shape.js'
import type { Rng } from '../../util/rng.js'
import { checkTestFeatures, planBackdoor, rowsToTrigger, sampleBackdoorRows } from '../backdoor.js'
import { featureBounds, measureFeatures } from '../feature-space.js'
import { ParamProblems, rateParam, targetLabelParam } from '../params.js'
import { attackResult, poisonedDataset } from '../rows.js'
import type { Attack, AttackResult } from '../types.js'
import { type ImageSize, type ImageTrigger, noisePattern, squarePatch, stampImage } from './trigger.js'

const paramsSchema = z
  .object({
    rate: rateParam(0.05),
    target: targetLabelParam,
    size: z.number().int().min(1).max(1024).default(3).describe('side of the square patch in pixels'),
    pattern: z
      .enum(['solid', 'checkerboard'])
      .default('solid')
      .describe(
        'solid: every patch pixel is `value`; checkerboard: `value` alternates with the darkest pixel value',
      ),
    position: z
      .enum(['bottom-right', 'bottom-left', 'top-right', 'top-left', 'center', 'random'])
      .default('bottom-right')
      .describe('where the patch goes; random draws a new place for every image'),
    margin: z.number().int().min(0).default(1).describe('pixels between a corner patch and the image border'),
    value: z
      .number()
      .finite()
      .optional()
      .describe('pixel value of the patch (default: the brightest pixel value of the dataset)'),
    patch: z
      .array(z.array(z.number().finite()).min(1))
      .min(1)
      .optional()
      .describe('custom patch as rows of pixel values, e.g. [[1,0],[0,1]]; replaces size, pattern and value'),
    blend: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe('instead of a patch, blend a full-image random pattern into the image with this opacity'),
  })
  .strict()

export type BackdoorPatchParams = z.infer<typeof paramsSchema>

function checkGeometry(params: BackdoorPatchParams, image: ImageSize, problems: ParamProblems): void {
  if (params.blend !== undefined) {
    if (params.patch)
      problems.add('blend', 'choose either a blended pattern (blend) or a patch (patch), not both')
    return
  }
  const width = params.patch ? params.patch[0].length : params.size
  const height = params.patch ? params.patch.length : params.size
  if (params.patch?.some((row) => row.length !== width))
    problems.add('patch', `every row must have the same number of values (the first has ${width})`)
  const margin = params.position === 'random' || params.position === 'center' ? 0 : params.margin
  if (width + margin > image.width || height + margin > image.height) {
    const param = params.patch ? 'patch' : 'size'
    problems.add(
      param,
      `a ${width}×${height} patch with margin ${margin} does not fit the ${image.width}×${image.height} images`,
    )
  }
}

function resolveTrigger(dataset: Dataset, params: BackdoorPatchParams, rng: Rng): ImageTrigger {
  const { low, high } = featureBounds(measureFeatures(dataset))
  const pixelCount = dataset.features!.cols
  if (params.blend !== undefined)
    return { kind: 'blend', pattern: noisePattern(pixelCount, low, high, rng), alpha: params.blend }
  const margin = params.margin
  if (params.patch) {
    const values = Float32Array.from(params.patch.flat())
    const { position } = params
    return {
      kind: 'patch',
      values,
      width: params.patch[0].length,
      height: params.patch.length,
      position,
      margin,
    }
  }
  const values = squarePatch(params.size, params.pattern, params.value ?? high, low)
  return { kind: 'patch', values, width: params.size, height: params.size, position: params.position, margin }
}

function describeTrigger(trigger: ImageTrigger): Record<string, unknown> {
  if (trigger.kind === 'blend') return { mode: 'blend', alpha: trigger.alpha }
  return {
    mode: 'patch',
    patchWidth: trigger.width,
    patchHeight: trigger.height,
    position: trigger.position,
    margin: trigger.margin,
    patch: Array.from({ length: trigger.height }, (_, row) =>
      Array.from(trigger.values.subarray(row * trigger.width, (row + 1) * trigger.width)),
    ),
  }
}

/** Copies the features and stamps the trigger into the given rows. */
function stampRows(dataset: Dataset, rows: Int32Array, trigger: ImageTrigger, rng: Rng): Float32Array {
  const { data, cols } = dataset.features!
  const features = Float32Array.from(data)
  const image = dataset.imageShape!
  for (const row of rows) stampImage(features.subarray(row * cols, (row + 1) * cols), image, trigger, rng)
  return features
}

function triggerTestSet(trigger: ImageTrigger, image: ImageSize, targetName: string) {
  return (testSet: Dataset, rng: Rng): AttackResult => {
    checkTestFeatures(testSet, image.width * image.height * channelCount(image), 'image trigger')
    const rows = rowsToTrigger(testSet, targetName)
    const shaped = { ...testSet, imageShape: testSet.imageShape ?? image }
    const features = stampRows(shaped, rows, trigger, rng)
    const info = { target: targetName, triggered: rows.length, ...describeTrigger(trigger) }
    return attackResult(poisonedDataset(testSet, { features }), rows, info)
  }
}

/**
 * Image backdoor: stamps a patch (BadNets) or blends a noise pattern (Chen et al.) into images of other classes
 * and relabels them as the target, so a model learns "trigger ⇒ target".
 * @see Gu, Dolan-Gavitt, Garg. BadNets: Identifying Vulnerabilities in the Machine Learning Model Supply Chain. 2017.
 * @see Chen, Liu, Li, Lu, Song. Targeted Backdoor Attacks on Deep Learning Systems Using Data Poisoning. 2017.
 */
export const backdoorPatchAttack: Attack<BackdoorPatchParams> = {
  id: 'backdoor-patch',
  summary:
    'Image backdoor: a pixel patch or blended pattern on images of other classes, relabelled as the target',
  requires: ['labels', 'images'],
  params: paramsSchema,
  apply(dataset: Dataset, params: BackdoorPatchParams, rng: Rng) {
    const problems = new ParamProblems('backdoor-patch')
    const plan = planBackdoor(dataset, params, problems)
    const image = dataset.imageShape!
    checkGeometry(params, image, problems)
    problems.throwIfAny()
    const rows = sampleBackdoorRows(plan, rng)
    const trigger = resolveTrigger(dataset, params, rng)
    const features = stampRows(dataset, rows, trigger, rng)
    const codes = Int32Array.from(dataset.labels!.codes)
    for (const row of rows) codes[row] = plan.target
    const info = { target: plan.targetName, poisoned: rows.length, ...describeTrigger(trigger) }
    const poisoned = poisonedDataset(dataset, { codes, features })
    return attackResult(poisoned, rows, info, triggerTestSet(trigger, image, plan.targetName))
  },
}
