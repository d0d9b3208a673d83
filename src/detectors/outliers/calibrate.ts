import { quantileSorted } from '../../stats/quantiles.js'
import { normalQuantile, normalSurvival } from '../../stats/tails.js'

/**
 * How the upper tail of an ordinary record's score falls off beyond the median: like a Gaussian for averaged,
 * bounded scores (isolation depth, shares), exponentially for log-ratios of distances, whose clean tails are long.
 */
export type TailShape = 'gaussian' | 'exponential'

/**
 * Upper tail of a score among ordinary records, fitted on the median and an upper quantile (the 90th percentile by
 * default, which up to 10% of anomalies barely move: a 1–5% attack cannot hide by shifting its own yardstick).
 */
export interface TailModel {
  readonly shape: TailShape
  readonly median: number
  /** Score units per standard deviation (gaussian) or per e-fold of the tail probability (exponential). */
  readonly scale: number
}

/** Distance from the median to the quantile at `probability` (above one half), in units of each shape's scale. */
function quantileDistance(shape: TailShape, probability: number): number {
  return shape === 'gaussian' ? normalQuantile(probability) : Math.log(0.5 / (1 - probability))
}

/**
 * The tail model of `scores` at `rows` (all rows when omitted), fitted on the median and the quantile at
 * `upperQuantile`, or undefined when their spread is nil.
 */
export function fitTail(
  scores: ArrayLike<number>,
  shape: TailShape,
  rows?: ArrayLike<number>,
  upperQuantile = 0.9,
): TailModel | undefined {
  const count = rows ? rows.length : scores.length
  const sorted = new Float64Array(count)
  for (let index = 0; index < count; index++) sorted[index] = scores[rows ? rows[index] : index]
  sorted.sort()
  const median = quantileSorted(sorted, 0.5)
  const scale = (quantileSorted(sorted, upperQuantile) - median) / quantileDistance(shape, upperQuantile)
  return scale > 1e-9 * Math.max(1, Math.abs(median)) ? { shape, median, scale } : undefined
}

/** Chance that an ordinary record scores at least `score` under the tail model, in [0, 1]. */
export function tailProbability(model: TailModel, score: number): number {
  const standardised = (score - model.median) / model.scale
  if (model.shape === 'gaussian') return normalSurvival(standardised)
  return standardised <= 0 ? 1 : 0.5 * Math.exp(-standardised)
}

/**
 * Chance that none of `testCount` ordinary scores would reach a tail probability this small: near 0 for the
 * most extreme of many clean records, near 1 only far beyond anything ordinary data produces.
 */
export function anomalyProbability(tailChance: number, testCount: number): number {
  return Math.exp(-testCount * tailChance)
}
