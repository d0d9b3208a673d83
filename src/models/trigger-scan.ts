import { channelCount, type ImageShape } from '../data/image-shape.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { median } from '../stats/quantiles.js'
import { throwIfAborted } from '../util/abort.js'
import { createRng, shuffledIndices } from '../util/rng.js'
import { type Classifier, predictedClasses } from './classifier.js'
import { type DenseNetwork, inputGradient } from './dense-network.js'
import { columnExtremes, searchFeatureTrigger } from './feature-trigger-search.js'

/** Clean inputs in the model's input space with their true classes, and the range their values take. */
export interface TriggerScanInput {
  readonly classifier: Classifier
  readonly x: FeatureMatrix
  /** Class index of each row (-1: unknown, not used). */
  readonly labels: Int32Array
  readonly classNames: readonly string[]
  /** Images only: lets the black-box search place square patches. */
  readonly image?: ImageShape
  /** Triggers mined from the training data: each is tried on its label first, and wins when it is smallest. */
  readonly minedTriggers?: readonly MinedTrigger[]
}

/** A trigger found in the training data (class index, mask and pattern over the input's features). */
export interface MinedTrigger {
  readonly label: number
  readonly mask: Float32Array
  readonly pattern: Float32Array
}

export interface TriggerScanOptions {
  /** Clean inputs of other labels each target is tested on; default 32. */
  samplesPerLabel?: number
  /** Gradient steps per label; default 60. */
  steps?: number
  /** Share of inputs a trigger must send to the target; default 0.9. */
  successRate?: number
  /** Black-box search: largest square side tried, in pixels; default a third of the image side. */
  maxPatchSide?: number
  /** Black-box search of tabular models: most columns a trigger may set; default 10. */
  maxFeatures?: number
  /** Anomaly index above which the model counts as backdoored; default 2 (Wang et al.). */
  anomalyThreshold?: number
  seed?: number
  /** Checked between steps (and, in a trigger search, between labels); an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
}

/** The smallest trigger found for one target label. */
export interface LabelTrigger {
  readonly label: string
  /** L1 norm of the mask, in features (pixels); the feature count when no trigger reached `successRate`. */
  readonly maskNorm: number
  readonly attackSuccess: number
  readonly mask: Float32Array
  readonly pattern: Float32Array
  /** Where the trigger came from: the training data (when it is the smallest), or the search. */
  readonly source: 'mined' | 'search'
  /** Share of inputs the best trigger mined from the training data for this label sends there; null: none mined. */
  readonly minedAttackSuccess: number | null
}

export interface TriggerScanResult {
  readonly verdict: 'backdoored' | 'clean'
  readonly method: 'gradient' | 'black-box'
  /** The label with the smallest trigger when the model is backdoored, else null. */
  readonly targetLabel: string | null
  /** Neural Cleanse anomaly index of the smallest trigger: (median − min) / (1.4826 · MAD) over the labels. */
  readonly anomalyIndex: number
  /**
   * Why the model counts as backdoored: an anomalously small trigger, or a trigger mined from its training data that
   * sends `successRate` of the clean inputs to its label; null when clean.
   */
  readonly evidence: 'anomaly-index' | 'mined-trigger' | null
  readonly labels: readonly LabelTrigger[]
}

export const defaultScanSettings = {
  samplesPerLabel: 32,
  steps: 60,
  successRate: 0.9,
  anomalyThreshold: 2,
  seed: 1,
}
type ScanSettings = typeof defaultScanSettings & { maxPatchSide?: number; maxFeatures?: number }

// Masks start nearly empty (sigmoid(−4) ≈ 0.02 per feature) and large Adam steps grow only the features that pay.
const INITIAL_MASK_LOGIT = -4
const STEP_SIZE = 0.3
// Measured on MNIST MLPs: a first weight of 3e-2 per unit of mask norm keeps masks from overshooting early.
const INITIAL_PENALTY = 3e-2

function sigmoid(value: number): number {
  return 1 / (1 + Math.exp(-value))
}

function columnRange(x: FeatureMatrix): { low: number; high: number } {
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  for (const value of x.data) {
    if (value < low) low = value
    if (value > high) high = value
  }
  return { low, high: high > low ? high : low + 1 }
}

/** Up to `count` rows whose label is known and is not `target`, drawn with a seeded generator. */
export function rowsOtherThan(labels: Int32Array, target: number, count: number, seed: number): Int32Array {
  const order = shuffledIndices(labels.length, createRng(seed + target))
  return order.filter((row) => labels[row] >= 0 && labels[row] !== target).subarray(0, count)
}

/** `(1 − m) x + m p` for each row. */
export function stampTrigger(x: FeatureMatrix, rows: Int32Array, mask: Float32Array, pattern: Float32Array) {
  const { cols } = x
  const data = new Float32Array(rows.length * cols)
  rows.forEach((row, index) => {
    for (let j = 0; j < cols; j++)
      data[index * cols + j] = (1 - mask[j]) * x.data[row * cols + j] + mask[j] * pattern[j]
  })
  return { data, rows: rows.length, cols }
}

function shareOf(predicted: Int32Array, target: number): number {
  return predicted.filter((code) => code === target).length / Math.max(predicted.length, 1)
}

/** Adam on the mask and pattern logits, with Neural Cleanse's adaptive weight on the mask's L1 norm. */
function reverseEngineerByGradient(
  network: DenseNetwork,
  batch: FeatureMatrix,
  target: number,
  range: { low: number; high: number },
  settings: ScanSettings,
) {
  const cols = batch.cols
  const logits = new Float32Array(2 * cols).fill(INITIAL_MASK_LOGIT, 0, cols)
  const first = new Float32Array(2 * cols)
  const second = new Float32Array(2 * cols)
  const gradient = new Float32Array(2 * cols)
  const mask = new Float32Array(cols)
  const pattern = new Float32Array(cols)
  const targets = new Int32Array(batch.rows).fill(target)
  const all = Int32Array.from({ length: batch.rows }, (_, row) => row)
  let penalty = INITIAL_PENALTY
  let best = {
    maskNorm: cols,
    attackSuccess: 0,
    mask: new Float32Array(cols),
    pattern: new Float32Array(cols),
  }
  for (let step = 1; step <= settings.steps; step++) {
    for (let j = 0; j < cols; j++) {
      mask[j] = sigmoid(logits[j])
      pattern[j] = range.low + (range.high - range.low) * sigmoid(logits[cols + j])
    }
    const stamped = stampTrigger(batch, all, mask, pattern)
    const { gradient: inputGrad, probabilities } = inputGradient(network, stamped, targets)
    const success = shareOf(
      predictedClasses({ data: probabilities, rows: batch.rows, cols: network.layers.at(-1)!.outCols }),
      target,
    )
    const norm = mask.reduce((sum, value) => sum + value, 0)
    if (success >= settings.successRate && norm < best.maskNorm)
      best = {
        maskNorm: norm,
        attackSuccess: success,
        mask: Float32Array.from(mask),
        pattern: Float32Array.from(pattern),
      }
    if (step % 5 === 0) penalty = success >= settings.successRate ? penalty * 1.5 : penalty / 1.5
    gradient.fill(0)
    for (let row = 0; row < batch.rows; row++) {
      for (let j = 0; j < cols; j++) {
        const g = inputGrad[row * cols + j] / batch.rows
        gradient[j] += g * (pattern[j] - batch.data[row * cols + j])
        gradient[cols + j] += g * mask[j]
      }
    }
    for (let j = 0; j < cols; j++) {
      gradient[j] = (gradient[j] + penalty) * mask[j] * (1 - mask[j])
      const s = (pattern[j] - range.low) / (range.high - range.low)
      gradient[cols + j] *= (range.high - range.low) * s * (1 - s)
    }
    adamUpdate(logits, gradient, first, second, step, STEP_SIZE)
  }
  return best
}

function adamUpdate(
  values: Float32Array,
  gradient: Float32Array,
  first: Float32Array,
  second: Float32Array,
  step: number,
  rate: number,
) {
  const c1 = 1 - 0.9 ** step
  const c2 = 1 - 0.999 ** step
  for (let i = 0; i < values.length; i++) {
    first[i] = 0.9 * first[i] + 0.1 * gradient[i]
    second[i] = 0.999 * second[i] + 0.001 * gradient[i] * gradient[i]
    values[i] -= (rate * first[i]) / c1 / (Math.sqrt(second[i] / c2) + 1e-8)
  }
}

/** Every place a `side`-pixel square fits, stepping half a side so neighbouring tries overlap. */
function squarePlaces(image: { width: number; height: number }, side: number): [number, number][] {
  const stride = Math.max(1, Math.floor(side / 2))
  const places: [number, number][] = []
  for (let top = 0; top + side <= image.height; top += stride)
    for (let left = 0; left + side <= image.width; left += stride) places.push([top, left])
  return places
}

/** The square in every channel of its pixels (colour interleaved per pixel, see `ImageShape`). */
function squareMask(image: ImageShape, side: number, [top, left]: [number, number]) {
  const channels = channelCount(image)
  const mask = new Float32Array(image.width * image.height * channels)
  for (let y = top; y < top + side; y++)
    mask.fill(1, (y * image.width + left) * channels, (y * image.width + left + side) * channels)
  return mask
}

// Stamped rows per model call in the black-box search: bounds one input tensor to a few MiB.
const PLACES_PER_CALL = 64

/**
 * Writes the batch stamped with a solid `side`-pixel square of `value` at each place of `chunk`, one after another,
 * into `data`: the same numbers as `stampTrigger` with the square's mask, but copied from `unmasked` (the batch as
 * `stampTrigger` leaves it off the mask) and overwritten inside the square, where blending every pixel of every row
 * for each of thousands of places was most of the search's CPU.
 */
function stampSquares(
  batch: FeatureMatrix,
  unmasked: Float32Array,
  image: ImageShape,
  side: number,
  chunk: readonly [number, number][],
  value: number,
  data: Float32Array,
): void {
  const { rows, cols } = batch
  const channels = channelCount(image)
  const run = side * channels
  chunk.forEach(([top, left], index) => {
    const start = index * rows * cols
    data.set(unmasked, start)
    for (let row = 0; row < rows; row++) {
      for (let y = top; y < top + side; y++) {
        const first = row * cols + (y * image.width + left) * channels
        for (let j = first; j < first + run; j++) data[start + j] = 0 * batch.data[j] + value
      }
    }
  })
}

/**
 * Black-box search for any model: the smallest solid square patch (brightest or darkest value) at any place that
 * sends `successRate` of the inputs to the target. Images only; each model call tries many places at once.
 */
async function searchSquarePatch(
  classifier: Classifier,
  batch: FeatureMatrix,
  target: number,
  image: ImageShape,
  range: { low: number; high: number },
  settings: ScanSettings,
) {
  const cols = batch.cols
  const maxSide = settings.maxPatchSide ?? Math.max(1, Math.floor(Math.min(image.width, image.height) / 3))
  // One input buffer for every call: a new one per call was a fifth of the search's CPU in garbage collection.
  const stampedRows = new Float32Array(PLACES_PER_CALL * batch.rows * cols)
  for (let side = 1; side <= maxSide; side++) {
    const places = squarePlaces(image, side)
    for (const value of [range.high, range.low]) {
      const pattern = new Float32Array(cols).fill(value)
      const unmasked = batch.data.map((pixel) => pixel + 0 * pattern[0])
      for (let start = 0; start < places.length; start += PLACES_PER_CALL) {
        const chunk = places.slice(start, start + PLACES_PER_CALL)
        const data = stampedRows.subarray(0, chunk.length * batch.rows * cols)
        stampSquares(batch, unmasked, image, side, chunk, pattern[0], data)
        const predicted = predictedClasses(
          await classifier.predict({ data, rows: chunk.length * batch.rows, cols }),
        )
        for (let index = 0; index < chunk.length; index++) {
          const success = shareOf(predicted.subarray(index * batch.rows, (index + 1) * batch.rows), target)
          if (success >= settings.successRate)
            return {
              maskNorm: side * side,
              attackSuccess: success,
              mask: squareMask(image, side, chunk[index]),
              pattern,
            }
        }
      }
    }
  }
  return { maskNorm: cols, attackSuccess: 0, mask: new Float32Array(cols), pattern: new Float32Array(cols) }
}

/**
 * Neural Cleanse anomaly index of the smallest norm: `(median − min) / (1.4826 · MAD)`. The MAD is floored at one
 * feature, the resolution of a mask norm, so labels that all need the same trigger size score 0.
 */
export function anomalyIndexOfSmallest(norms: readonly number[]): { index: number; smallest: number } {
  const center = median(norms)
  const spread = 1.4826 * Math.max(1, median(norms.map((norm) => Math.abs(norm - center))))
  let smallest = 0
  norms.forEach((norm, index) => {
    if (norm < norms[smallest]) smallest = index
  })
  return { index: (center - norms[smallest]) / spread, smallest }
}

/**
 * Is this model backdoored? For each target label, reverse-engineers the smallest trigger (mask and pattern) that
 * sends most clean inputs of other labels there — by gradient for a built-in network, by a square-patch search
 * for any other image model — and flags a label whose trigger is anomalously small.
 * @see Wang, Yao, Shan, Li, Viswanath, Zheng, Zhao. Neural Cleanse: Identifying and Mitigating Backdoor Attacks in
 *   Neural Networks. IEEE S&P 2019.
 */
export async function scanForTriggers(
  input: TriggerScanInput,
  options: TriggerScanOptions = {},
): Promise<TriggerScanResult> {
  const settings = { ...defaultScanSettings, ...options }
  const { classifier, x, labels, classNames } = input
  const range = columnRange(x)
  const extremes = columnExtremes(x)
  const network = classifier.network
  const found: LabelTrigger[] = []
  for (let target = 0; target < classifier.classCount; target++) {
    throwIfAborted(options.signal, 'the trigger scan')
    const rows = rowsOtherThan(labels, target, settings.samplesPerLabel, settings.seed)
    const batch = stampTrigger(x, rows, new Float32Array(x.cols), new Float32Array(x.cols))
    const { best: mined, tried } = await bestMinedTrigger(
      classifier,
      batch,
      target,
      input.minedTriggers ?? [],
      settings,
    )
    // A mined trigger that works bounds the search: the black-box search stops below its size.
    const bound = mined ? { ...settings, maxPatchSide: Math.floor(Math.sqrt(mined.maskNorm - 1)) } : settings
    const searched = network
      ? reverseEngineerByGradient(network, batch, target, range, settings)
      : input.image
        ? await searchSquarePatch(classifier, batch, target, input.image, range, bound)
        : await searchFeatureTrigger(classifier, batch, target, extremes, {
            successRate: settings.successRate,
            maxFeatures: mined ? Math.ceil(mined.maskNorm) - 1 : (settings.maxFeatures ?? 10),
          })
    const trigger =
      mined && mined.maskNorm <= searched.maskNorm
        ? { ...mined, source: 'mined' as const }
        : { ...searched, source: 'search' as const }
    found.push({ label: classNames[target] ?? String(target), ...trigger, minedAttackSuccess: tried })
  }
  const { index, smallest } = anomalyIndexOfSmallest(found.map((trigger) => trigger.maskNorm))
  // A model that obeys a trigger mined from records its training data was poisoned with is backdoored even when
  // natural triggers are as small (tabular data, where a few extreme values reach a label anyway).
  const obeyed = found.findIndex((trigger) => (trigger.minedAttackSuccess ?? 0) >= settings.successRate)
  const evidence = index > settings.anomalyThreshold ? 'anomaly-index' : obeyed >= 0 ? 'mined-trigger' : null
  return {
    verdict: evidence ? 'backdoored' : 'clean',
    method: network ? 'gradient' : 'black-box',
    targetLabel: evidence ? found[evidence === 'anomaly-index' ? smallest : obeyed].label : null,
    anomalyIndex: index,
    evidence,
    labels: found,
  }
}

/**
 * The smallest mined trigger of the target that sends `successRate` of the batch there, if any, and the best
 * success share of any mined trigger of the target (null when none was mined for it).
 */
async function bestMinedTrigger(
  classifier: Classifier,
  batch: FeatureMatrix,
  target: number,
  mined: readonly MinedTrigger[],
  settings: ScanSettings,
) {
  const all = Int32Array.from({ length: batch.rows }, (_, row) => row)
  let best: Omit<LabelTrigger, 'label' | 'source' | 'minedAttackSuccess'> | undefined
  let tried: number | null = null
  for (const trigger of mined) {
    if (trigger.label !== target) continue
    const maskNorm = trigger.mask.reduce((sum, value) => sum + value, 0)
    const stamped = stampTrigger(batch, all, trigger.mask, trigger.pattern)
    const attackSuccess = shareOf(predictedClasses(await classifier.predict(stamped)), target)
    tried = Math.max(tried ?? 0, attackSuccess)
    if (attackSuccess >= settings.successRate && (!best || maskNorm < best.maskNorm))
      best = { maskNorm, attackSuccess, mask: trigger.mask, pattern: trigger.pattern }
  }
  return { best, tried }
}
