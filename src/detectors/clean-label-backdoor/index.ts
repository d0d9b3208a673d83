import { z } from 'zod'
import type { FeatureMatrix } from '../../data/matrix.js'
import { logPoissonTailBound } from '../../stats/tails.js'
import type { Detector, DetectorInput } from '../types.js'
import { leadingCoordinates, otherClassSpread, whitenClass } from './score.js'

const paramsSchema = z
  .object({
    minClassRows: z
      .number()
      .int()
      .min(5)
      .default(50)
      .describe(
        'classes with fewer records are not analysed: their far tails are too noisy to tell a pattern',
      ),
    tailScore: z
      .number()
      .gt(0)
      .default(4)
      .describe('robust z-score beyond which a record counts as carrying its class’s leading pattern'),
    significance: z
      .number()
      .gt(0)
      .max(0.5)
      .default(0.01)
      .describe('chance of calling any clean class attacked (Bonferroni over the classes)'),
    floor: z
      .number()
      .gt(0)
      .default(0.02)
      .describe(
        'smallest spread a feature is measured against, in units of the value range (images) or of its standard deviation',
      ),
  })
  .strict()

type Params = z.infer<typeof paramsSchema>

/** Far-out records a class needs before it can be called attacked: fewer are odd records, not a population. */
const minimumCarriers = 5

/** Leading directions examined per class. */
const directionCount = 4

/**
 * Pixels kept per image at most: larger images are averaged over square blocks. Not fewer: the silent border
 * pixels of small images are where a faint global pattern shows most.
 */
const maxPixels = 1024

/** Images averaged over `block × block` squares and scaled by their value range to [0, 1]. */
function shrinkImages(raw: FeatureMatrix, width: number, height: number): FeatureMatrix {
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  for (const value of raw.data) {
    if (value < low) low = value
    if (value > high) high = value
  }
  const range = high > low ? high - low : 1
  const block = Math.max(1, Math.ceil(Math.sqrt(raw.cols / maxPixels)))
  const columns = Math.ceil(width / block)
  const cols = columns * Math.ceil(height / block)
  const data = new Float32Array(raw.rows * cols)
  const weight = 1 / (block * block * range)
  for (let row = 0; row < raw.rows; row++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        data[row * cols + Math.floor(y / block) * columns + Math.floor(x / block)] +=
          (raw.data[row * raw.cols + y * width + x] - low) * weight
  return { data, rows: raw.rows, cols }
}

function rowsByClass(codes: Int32Array, classCount: number): Int32Array[] {
  const lists = Array.from({ length: classCount }, () => [] as number[])
  codes.forEach((code, row) => {
    if (code >= 0) lists[code].push(row)
  })
  return lists.map((rows) => Int32Array.from(rows))
}

interface ClassScores {
  readonly code: number
  readonly rows: Int32Array
  readonly scores: Float64Array
  readonly tail: number
}

/** Each class's records scored along the leading direction of their whitened deviations. */
function scoreClasses(input: DetectorInput, params: Params, seed: number): ClassScores[] {
  const labels = input.labels!
  const shape = input.dataset.imageShape!
  const features = shrinkImages(input.dataset.features!, shape.width, shape.height)
  const spreads = otherClassSpread(features, labels.codes, labels.classes.length, params.floor)
  return rowsByClass(labels.codes, labels.classes.length).flatMap((rows, code) => {
    if (rows.length < params.minClassRows) return []
    const whitened = whitenClass(features, rows, spreads[code])
    // The direction along which most records lie far out: where a pattern part of the class carries shows.
    let best: ClassScores | undefined
    for (const scores of leadingCoordinates(
      whitened,
      rows.length,
      features.cols,
      directionCount,
      seed + code,
    )) {
      const tail = scores.filter((score) => score >= params.tailScore).length
      if (!best || tail > best.tail) best = { code, rows, scores, tail }
    }
    return best ? [best] : []
  })
}

/**
 * The class's p-value: its far-out count against the typical far-out share of the other classes along their own
 * most telling directions (smoothed by one record), Bonferroni over classes.
 */
function classPValue(target: ClassScores, classes: readonly ClassScores[]): number {
  const shares = classes
    .filter((other) => other !== target)
    .map((other) => (other.tail + 1) / (other.rows.length + 1))
    .sort((a, b) => a - b)
  if (shares.length === 0) return 1
  const typical = shares[shares.length >> 1]
  return Math.min(
    1,
    Math.exp(logPoissonTailBound(target.tail, typical * target.rows.length)) * classes.length,
  )
}

/**
 * Chance each record of the class carries the pattern: one minus its q-value, where the false share at a score is
 * how many of the class's records lie as far out on the other side (the class's natural spread along the
 * direction, an empirical null from the class itself) over how many lie at least that far out on the pattern's side.
 * @see Efron. Large-scale simultaneous hypothesis testing: the choice of a null hypothesis. JASA 99, 2004.
 */
function carrierChances(target: ClassScores): Float64Array {
  const count = target.scores.length
  const mirrored = Float64Array.from(target.scores, (score) => -score).sort()
  const order = Array.from(target.scores.keys()).sort((a, b) => target.scores[b] - target.scores[a])
  const falseShares = order.map((index, rank) => {
    const score = target.scores[index]
    let low = 0
    let high = count
    while (low < high) {
      const middle = (low + high) >> 1
      if (mirrored[middle] < score) low = middle + 1
      else high = middle
    }
    return Math.min(1, (count - low + 1) / (rank + 1))
  })
  const chances = new Float64Array(count)
  let qValue = 1
  for (let rank = count - 1; rank >= 0; rank--) {
    qValue = Math.min(qValue, falseShares[rank])
    chances[order[rank]] = 1 - qValue
  }
  return chances
}

/** Mean of the carriers minus mean of the rest of the class, in the data's own units: the pattern to look at. */
function patternOf(input: DetectorInput, rows: Int32Array, carrier: (index: number) => boolean): number[] {
  const raw = input.dataset.features!
  const cols = raw.cols
  const sums = [new Float64Array(cols), new Float64Array(cols)]
  const counts = [0, 0]
  rows.forEach((row, index) => {
    const side = carrier(index) ? 0 : 1
    counts[side]++
    for (let col = 0; col < cols; col++) sums[side][col] += raw.data[row * cols + col]
  })
  return Array.from(sums[0], (sum, col) => {
    const difference = sum / Math.max(1, counts[0]) - sums[1][col] / Math.max(1, counts[1])
    return Number(difference.toPrecision(4))
  })
}

/** A pattern as rows of an image when the data are images, so it can be drawn. */
function picture(pattern: number[], input: DetectorInput): number[][] {
  const shape = input.dataset.imageShape!
  return Array.from({ length: shape.height }, (_, y) => pattern.slice(y * shape.width, (y + 1) * shape.width))
}

function emptyResult(rowCount: number) {
  return {
    suspicion: new Float32Array(rowCount),
    flagged: new Uint8Array(rowCount),
    explanations: new Array<string | undefined>(rowCount).fill(undefined),
  }
}

/**
 * Label-consistent (clean-label) backdoors: per class, the records' deviations from the class are whitened by how
 * much the other classes vary feature by feature, so a pattern added to part of one class (a faint sinusoid, a
 * blended key, a corner patch) is loud where every other class is quiet. The class's leading direction there is
 * the pattern; a class is called attacked when far more of its records lie far out along it than the other classes'
 * own leading directions put out (binomial tail, Bonferroni over classes), and its far records are scored by their
 * q-values against the other classes' tails. The pattern goes to `info.patterns` as an array in the data's units.
 * @see Barni, Kallas, Tondi. A new backdoor attack in CNNs by training set corruption without label poisoning. ICIP 2019.
 * @see Tran, Li, Madry. Spectral Signatures in Backdoor Attacks. NeurIPS 2018.
 */
export const cleanLabelBackdoorDetector: Detector<Params> = {
  id: 'clean-label-backdoor',
  kind: 'clean_label',
  summary: 'Clean-label backdoors: a pattern that part of one class carries and no other class varies in',
  requires: ['labels', 'features'],
  standalone: true,
  params: paramsSchema,
  async run(input, params, context) {
    const labels = input.labels!
    // Tables' heavy-tailed columns and texts' sparse words need their own yardstick; images are what it knows.
    if (!input.dataset.imageShape || !input.dataset.features)
      return {
        ...emptyResult(input.rowCount),
        info: { classes: [], patterns: [] },
        warnings: ['looks for clean-label patterns in images only; this dataset holds none'],
      }
    const classes = scoreClasses(input, params, context.seed)
    const result = emptyResult(input.rowCount)
    const patterns: Record<string, unknown>[] = []
    const attacks = []
    const summaries = []
    let datasetPValue = 1
    for (const target of classes) {
      const pValue = classPValue(target, classes)
      datasetPValue = Math.min(datasetPValue, pValue)
      const label = labels.classes[target.code]
      summaries.push({ label, records: target.rows.length, farOut: target.tail, pValue })
      if (!(pValue < params.significance) || target.tail < minimumCarriers) continue
      const chances = carrierChances(target)
      let carriers = 0
      target.rows.forEach((row, index) => {
        // Records whose q-values tie keep the order of how far out they lie.
        result.suspicion[row] = chances[index] * (0.999 + 0.001 / (1 + Math.exp(-target.scores[index])))
        if (chances[index] < 0.5) return
        carriers++
        result.flagged[row] = 1
        result.explanations[row] =
          `labelled ${label} like the rest of its class, but one of ${target.tail} records of it that carry a ` +
          `pattern no other class varies in (z = ${target.scores[index].toFixed(1)} along it)`
      })
      patterns.push({
        label,
        records: carriers,
        pattern: picture(
          patternOf(input, target.rows, (index) => chances[index] >= 0.5),
          input,
        ),
      })
      attacks.push({
        kind: 'clean_label' as const,
        description: `a pattern carried by ${carriers} records of class ${label}, labels unchanged`,
        label,
        records: carriers,
        pValue,
      })
    }
    return {
      ...result,
      datasetPValue,
      attacks,
      info: { classes: summaries, patterns },
      warnings: [],
    }
  },
}
