import type { FeatureMatrix } from '../data/matrix.js'
import { type Classifier, predictedClasses } from './classifier.js'

/** What the feature search needs to know of the scan. */
export interface FeatureSearchSettings {
  readonly successRate: number
  /** Most features a trigger may set; a label needing more gets the feature count as its size. */
  readonly maxFeatures: number
}

// Stamped rows per model call: bounds one input tensor to a few MiB.
const ROWS_PER_CALL = 16_384

/** Each column's lowest and highest clean value: the values a feature trigger sets a column to. */
export function columnExtremes(x: FeatureMatrix): { low: Float32Array; high: Float32Array } {
  const low = new Float32Array(x.cols).fill(Number.POSITIVE_INFINITY)
  const high = new Float32Array(x.cols).fill(Number.NEGATIVE_INFINITY)
  for (let row = 0; row < x.rows; row++) {
    for (let col = 0; col < x.cols; col++) {
      const value = x.data[row * x.cols + col]
      if (value < low[col]) low[col] = value
      if (value > high[col]) high[col] = value
    }
  }
  return { low, high }
}

/**
 * Mean target probability and target share of the batch with each (column, value) move set on top of the
 * trigger so far, in as few model calls as the input size allows.
 */
async function tryMoves(
  classifier: Classifier,
  batch: FeatureMatrix,
  trigger: ReadonlyMap<number, number>,
  moves: readonly [number, number][],
  target: number,
) {
  const { rows, cols } = batch
  const probability = new Float64Array(moves.length)
  const share = new Float64Array(moves.length)
  const movesPerCall = Math.max(1, Math.floor(ROWS_PER_CALL / rows))
  for (let start = 0; start < moves.length; start += movesPerCall) {
    const chunk = moves.slice(start, start + movesPerCall)
    const data = new Float32Array(chunk.length * rows * cols)
    chunk.forEach(([col, value], index) => {
      const offset = index * rows * cols
      data.set(batch.data, offset)
      for (let row = 0; row < rows; row++) {
        for (const [set, setValue] of trigger) data[offset + row * cols + set] = setValue
        data[offset + row * cols + col] = value
      }
    })
    const p = await classifier.predict({ data, rows: chunk.length * rows, cols })
    const predicted = predictedClasses(p)
    chunk.forEach((_, index) => {
      for (let row = index * rows; row < (index + 1) * rows; row++) {
        probability[start + index] += p.data[row * p.cols + target] / rows
        if (predicted[row] === target) share[start + index] += 1 / rows
      }
    })
  }
  return { probability, share }
}

/**
 * Black-box search for any model with tabular input: greedily sets the column, to its lowest or highest clean
 * value, that raises the target's mean probability most, until `successRate` of the batch goes to the target.
 * Needs no gradients, only predictions: the size of the trigger is the number of columns it sets.
 */
export async function searchFeatureTrigger(
  classifier: Classifier,
  batch: FeatureMatrix,
  target: number,
  extremes: { low: Float32Array; high: Float32Array },
  settings: FeatureSearchSettings,
) {
  const cols = batch.cols
  const trigger = new Map<number, number>()
  let attackSuccess = 0
  while (trigger.size < Math.min(settings.maxFeatures, cols)) {
    const moves: [number, number][] = []
    for (let col = 0; col < cols; col++) {
      if (trigger.has(col)) continue
      moves.push([col, extremes.high[col]])
      if (extremes.low[col] !== extremes.high[col]) moves.push([col, extremes.low[col]])
    }
    const { probability, share } = await tryMoves(classifier, batch, trigger, moves, target)
    let best = 0
    for (let index = 1; index < moves.length; index++)
      if (probability[index] > probability[best]) best = index
    trigger.set(moves[best][0], moves[best][1])
    attackSuccess = share[best]
    if (attackSuccess >= settings.successRate) break
  }
  const mask = new Float32Array(cols)
  const pattern = new Float32Array(cols)
  for (const [col, value] of trigger) {
    mask[col] = 1
    pattern[col] = value
  }
  const found = attackSuccess >= settings.successRate
  return {
    maskNorm: found ? trigger.size : cols,
    attackSuccess,
    mask: found ? mask : new Float32Array(cols),
    pattern: found ? pattern : new Float32Array(cols),
  }
}
