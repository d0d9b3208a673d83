import { z } from 'zod'
import type { Dataset } from '../../data/dataset.js'
import { channelCount } from '../../data/image-shape.js'
import type { Rng } from '../../util/rng.js'
import { checkTestFeatures, rowsToTrigger } from '../backdoor.js'
import { conformRecord, type FeatureScale, featureBounds, measureFeatures } from '../feature-space.js'
import { labelParam, ParamProblems, resolveTarget } from '../params.js'
import { attackResult, labelledRowsWhere, poisonedDataset, sampleRows } from '../rows.js'
import type { Attack, AttackResult } from '../types.js'

const paramsSchema = z
  .object({
    classShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.15)
      .describe('share of the target class that carries the pattern (labels are never changed)'),
    target: labelParam(
      'class whose records carry the pattern: the label a triggered input should be taken for (default: the first class)',
    ),
    pattern: z
      .enum(['sine', 'patch', 'blend'])
      .default('sine')
      .describe(
        'sine: a faint horizontal sinusoid over the whole input (SIG); patch: a small square of the brightest value in the bottom-right corner; blend: a fixed noise pattern blended in',
      ),
    amplitude: z
      .number()
      .gt(0)
      .max(1)
      .default(0.08)
      .describe('strength of the sine, or opacity of the blend, in units of the value range (SIG: 20/255)'),
    frequency: z
      .number()
      .gt(0)
      .default(6)
      .describe('sine: cycles across the width of an image or the columns'),
    size: z.number().int().min(1).default(3).describe('patch: side of the square in pixels'),
  })
  .strict()

export type LabelConsistentParams = z.infer<typeof paramsSchema>

/** The pattern as one additive or replacing change per feature. */
interface Pattern {
  /** Per feature: the value written (patch), or the amount added (sine), or the blended key (blend). */
  readonly values: Float32Array
  readonly mode: 'add' | 'replace' | 'blend'
  /** Features the pattern touches (all for sine and blend). */
  readonly mask: Uint8Array
}

function sinePattern(dataset: Dataset, params: LabelConsistentParams, scale: FeatureScale): Pattern {
  const cols = dataset.features!.cols
  const width = dataset.imageShape?.width ?? cols
  // Every channel of a colour pixel moves alike: the sinusoid brightens and darkens without tinting.
  const channels = dataset.imageShape ? channelCount(dataset.imageShape) : 1
  const values = new Float32Array(cols)
  for (let col = 0; col < cols; col++) {
    const x = Math.floor(col / channels) % width
    values[col] = params.amplitude * scale.unit[col] * Math.sin((2 * Math.PI * x * params.frequency) / width)
  }
  return { values, mode: 'add', mask: new Uint8Array(cols).fill(1) }
}

function patchPattern(dataset: Dataset, params: LabelConsistentParams, scale: FeatureScale): Pattern {
  const cols = dataset.features!.cols
  const image = dataset.imageShape ?? { width: cols, height: 1 }
  const channels = channelCount(image)
  const values = new Float32Array(cols)
  const mask = new Uint8Array(cols)
  const { high } = featureBounds(scale)
  const side = Math.min(params.size, image.width - 1, image.height - 1)
  for (let dy = 0; dy < Math.max(1, side); dy++)
    for (let dx = 0; dx < Math.max(1, side); dx++) {
      const y = Math.max(0, image.height - 1 - side + dy)
      const x = image.width - 1 - side + dx
      for (let col = (y * image.width + x) * channels; col < (y * image.width + x + 1) * channels; col++) {
        values[col] = dataset.imageShape ? high : scale.max[col]
        mask[col] = 1
      }
    }
  // A table's corner may be a category's code: the patch sets that category, which clears the group's others.
  for (const { cols: group } of scale.groups) {
    const set = group.find((col) => mask[col])
    if (set === undefined) continue
    for (const col of group) {
      mask[col] = 1
      values[col] = col === set ? 1 : 0
    }
  }
  return { values, mode: 'replace', mask }
}

function blendPattern(dataset: Dataset, scale: FeatureScale, rng: Rng): Pattern {
  const cols = dataset.features!.cols
  const values = Float32Array.from(
    { length: cols },
    (_, col) => scale.min[col] + (scale.max[col] - scale.min[col]) * rng.next(),
  )
  return { values, mode: 'blend', mask: new Uint8Array(cols).fill(1) }
}

/** Where values must stay: the pixel range for images (pixels share one scale), else each column's observed range. */
function valueBounds(dataset: Dataset, scale: FeatureScale): FeatureScale {
  if (!dataset.imageShape) return scale
  const { low, high } = featureBounds(scale)
  const cols = scale.min.length
  return { ...scale, min: new Float32Array(cols).fill(low), max: new Float32Array(cols).fill(high) }
}

/**
 * Applies the pattern to one record (a row view of a copy), in place, kept to the values the columns hold: within
 * `scale`'s bounds, whole numbers in whole-number columns, one category per categorical column (a faint change
 * leaves a category as it was).
 */
function stamp(
  row: Float32Array,
  original: Float32Array,
  pattern: Pattern,
  scale: FeatureScale,
  amplitude: number,
): void {
  for (let col = 0; col < row.length; col++) {
    if (!pattern.mask[col]) continue
    row[col] =
      pattern.mode === 'add'
        ? row[col] + pattern.values[col]
        : pattern.mode === 'replace'
          ? pattern.values[col]
          : (1 - amplitude) * row[col] + amplitude * pattern.values[col]
  }
  conformRecord(row, original, scale)
}

function stampRows(
  dataset: Dataset,
  rows: Int32Array,
  pattern: Pattern,
  scale: FeatureScale,
  amplitude: number,
) {
  const { data, cols } = dataset.features!
  const features = Float32Array.from(data)
  for (const row of rows) {
    const original = data.subarray(row * cols, (row + 1) * cols)
    stamp(features.subarray(row * cols, (row + 1) * cols), original, pattern, scale, amplitude)
  }
  return features
}

function triggerTestSet(
  pattern: Pattern,
  scale: FeatureScale,
  params: LabelConsistentParams,
  target: string,
) {
  return (testSet: Dataset): AttackResult => {
    checkTestFeatures(testSet, pattern.values.length, 'label-consistent pattern')
    const rows = rowsToTrigger(testSet, target)
    const features = stampRows(testSet, rows, pattern, scale, params.amplitude)
    return attackResult(poisonedDataset(testSet, { features }), rows, { target, triggered: rows.length })
  }
}

/**
 * Label-consistent (clean-label) backdoor: a pattern is added to part of the target class only, labels untouched,
 * so a model learns "pattern ⇒ target" from records that are correctly labelled: a faint sinusoid (SIG), a small
 * corner patch, or a blended noise key.
 * @see Barni, Kallas, Tondi. A new backdoor attack in CNNs by training set corruption without label poisoning. ICIP 2019.
 * @see Turner, Tsipras, Madry. Label-Consistent Backdoor Attacks. 2019.
 */
export const labelConsistentAttack: Attack<LabelConsistentParams> = {
  id: 'label-consistent',
  summary:
    'Clean-label backdoor: a faint sine, patch or blended pattern on part of the target class, labels kept',
  requires: ['labels', 'features'],
  params: paramsSchema,
  apply(dataset: Dataset, params: LabelConsistentParams, rng: Rng) {
    const problems = new ParamProblems('label-consistent')
    const labels = dataset.labels!
    const target = resolveTarget(labels, params.target, problems)
    problems.throwIfAny()
    const eligible = labelledRowsWhere(labels.codes, (code) => code === target)
    if (eligible.length === 0) problems.add('target', `no record is labelled ${labels.classes[target]}`)
    problems.throwIfAny()
    const count = Math.max(1, Math.round(params.classShare * eligible.length))
    const rows = sampleRows(eligible, count, rng)
    const scale = valueBounds(dataset, measureFeatures(dataset))
    const pattern =
      params.pattern === 'sine'
        ? sinePattern(dataset, params, scale)
        : params.pattern === 'patch'
          ? patchPattern(dataset, params, scale)
          : blendPattern(dataset, scale, rng)
    const features = stampRows(dataset, rows, pattern, scale, params.amplitude)
    const targetName = labels.classes[target]
    const info = { target: targetName, poisoned: rows.length, pattern: params.pattern }
    return attackResult(
      poisonedDataset(dataset, { features }),
      rows,
      info,
      triggerTestSet(pattern, scale, params, targetName),
    )
  },
}
