import { type EmpiricalDistribution, quantileOf } from './ecdf.js'

/** Fewest values a tail fit reads; smaller samples fall back to widening the observed span. */
const MIN_TAIL_VALUES = 16

/** Standard errors added to a tail's scale: its one-sided 99.9% upper confidence limit. */
const SCALE_CONFIDENCE_Z = 3

/** Share of the observed span added on each side when there are too few values to read a tail from. */
const SPAN_MARGIN = 0.5

export interface RangeOptions {
  /** Rows of the batch the range must hold; the reference's row count when unknown. */
  batchRows: number
  /** Chance per side that an honest batch of `batchRows` rows passes the range. */
  falseAlarmRate: number
}

interface TailFit {
  /** Value the excesses are measured from: the most extreme value outside the tail. */
  threshold: number
  /** Share of the sample above `threshold`. */
  tailShare: number
  /** Mean gap between neighbouring values above `threshold`, on the transformed scale. */
  spacing: number
  /** Generalised Pareto shape (0: exponential tail, > 0: power-law tail) and scale of the excesses. */
  shape: number
  scale: number
}

/** Number of top values a tail is read from: about 2√n, at most a quarter of the sample. */
function tailSize(count: number): number {
  return Math.min(Math.floor(count / 4), Math.max(MIN_TAIL_VALUES, Math.round(2 * Math.sqrt(count))))
}

/**
 * Generalised Pareto fit, by its first two moments, to the excesses of the top `size` values (`transform` applied)
 * over the next one, on the upper side (`sign` 1) or the lower side (`sign` −1, read as the negated upper side);
 * undefined when fewer than MIN_TAIL_VALUES values lie beyond it. The shape is kept at 0 or above: a light or
 * bounded tail is extrapolated as an exponential one, which overshoots it, so an honest batch's extreme is never
 * judged by a bound the sample only suggests.
 */
function fitTail(
  distribution: EmpiricalDistribution,
  sign: 1 | -1,
  size: number,
  transform: (value: number) => number,
): TailFit | undefined {
  const { values, weights, totalWeight } = distribution
  const last = values.length - 1
  const at = (step: number) => (sign === 1 ? last - step : step)
  const weightAt = (step: number) => (weights ? weights[at(step)] : 1)
  let taken = 0
  let step = 0
  while (taken < size && step < last) taken += weightAt(step++)
  // Values tied with the threshold carry no excess; dropping them keeps an atom (a column that is mostly 0) from
  // hiding how few values lie beyond it.
  while (step > 0 && values[at(step - 1)] === values[at(step)]) taken -= weightAt(--step)
  if (taken < MIN_TAIL_VALUES) return undefined
  const threshold = transform(sign * values[at(step)])
  let mean = 0
  for (let index = 0; index < step; index++)
    mean += (weightAt(index) * (transform(sign * values[at(index)]) - threshold)) / taken
  let variance = 0
  for (let index = 0; index < step; index++)
    variance += (weightAt(index) * (transform(sign * values[at(index)]) - threshold - mean) ** 2) / taken
  const ratio = variance > 0 ? (mean * mean) / variance : Number.POSITIVE_INFINITY
  const shape = Math.max(0, 0.5 * (1 - ratio))
  // The scale is read from `taken` excesses, so it is known to about 1/√taken of itself; extrapolating far past the
  // sample multiplies that error, so the bound uses the scale's upper confidence limit instead of its estimate.
  const confidence = 1 + SCALE_CONFIDENCE_Z / Math.sqrt(taken)
  const scale = confidence * (shape > 0 ? 0.5 * mean * (ratio + 1) : mean)
  const spacing = (transform(sign * values[at(0)]) - threshold) / taken
  return { threshold, tailShare: taken / totalWeight, spacing, shape, scale }
}

/** The value a fitted tail passes with probability `exceedance` per draw. */
function tailQuantile(fit: TailFit, exceedance: number): number {
  const ratio = Math.max(1, fit.tailShare / exceedance)
  const growth = fit.shape > 0 ? (ratio ** fit.shape - 1) / fit.shape : Math.log(ratio)
  return fit.threshold + fit.scale * growth
}

/**
 * How far one side of a column may reach in a batch of `batchRows` honest draws: the value passed with probability
 * `falseAlarmRate / batchRows` per draw (so by the batch's extreme with about `falseAlarmRate`), read from the
 * sample's top order statistics, on the raw scale for light tails and on a log scale for heavy ones. The reach is
 * signed as the side is (the lower side's reach is a low value).
 */
function sideReach(
  distribution: EmpiricalDistribution,
  sign: 1 | -1,
  options: RangeOptions,
): { reach: number; heavy: boolean; spacing: number } | undefined {
  const exceedance = options.falseAlarmRate / Math.max(1, options.batchRows)
  const size = tailSize(distribution.totalWeight)
  const raw = fitTail(distribution, sign, size, (value) => value)
  if (!raw) return undefined
  const median = sign * quantileOf(distribution, 0.5)
  // A tail heavier than exponential is read on the log of its distance from the median, where a power law becomes
  // an exponential: the moment fit sees little of a heavy tail's shape (its estimate cannot pass ½).
  const logDistance =
    raw.shape > 0 && raw.threshold > median
      ? fitTail(distribution, sign, size, (value) => Math.log(value - median))
      : undefined
  const { spacing } = raw
  if (!logDistance) return { reach: sign * tailQuantile(raw, exceedance), heavy: raw.shape > 0, spacing }
  return { reach: sign * (median + Math.exp(tailQuantile(logDistance, exceedance))), heavy: true, spacing }
}

/** The observed range widened by half its span on each side: all a handful of values supports. */
export function widenedSpan(min: number, max: number): { min: number; max: number } {
  const margin = (max - min) * SPAN_MARGIN || Math.abs(min) * SPAN_MARGIN
  return { min: min - margin, max: max + margin }
}

export interface TailRange {
  min: number
  max: number
  /** The upper tail is heavier than exponential (its values thin out like a power law's). */
  heavyMax: boolean
  /** Mean gap between neighbouring values of the upper tail (0 when the side is thin). */
  maxSpacing: number
  /**
   * Sides with too few values beyond the column's usual ones to read a tail from (a constant column, one that is 0
   * but for a handful of rows): their bound is the observed span widened by half, which says little.
   */
  thinSides: ('min' | 'max')[]
}

/**
 * Range an honest batch of `batchRows` rows stays within, but for a chance of about `falseAlarmRate` per side:
 * each side extrapolated from the sample's extremes (see `sideReach`). A counter (`grows`: ids handed out in order,
 * a clock) may also continue past its maximum by twice its usual step per batch row.
 */
export function tailRange(
  distribution: EmpiricalDistribution,
  options: RangeOptions & { grows?: boolean },
): TailRange {
  const { values, totalWeight } = distribution
  const min = values[0] ?? 0
  const max = values[values.length - 1] ?? 0
  const span = widenedSpan(min, max)
  const enough = min !== max && tailSize(totalWeight) >= MIN_TAIL_VALUES
  const upper = enough ? sideReach(distribution, 1, options) : undefined
  const lower = enough ? sideReach(distribution, -1, options) : undefined
  let high = upper ? Math.max(max, upper.reach) : span.max
  if (options.grows) high = Math.max(high, max + (2 * options.batchRows * (max - min)) / (totalWeight - 1))
  const thinSides: TailRange['thinSides'] = []
  if (!lower) thinSides.push('min')
  if (!upper) thinSides.push('max')
  return {
    min: lower ? Math.min(min, lower.reach) : span.min,
    max: high,
    heavyMax: upper?.heavy ?? false,
    maxSpacing: upper?.spacing ?? 0,
    thinSides,
  }
}

/** Whether a sorted sample holds no value twice (a key, such as ids). */
export function allDistinct(distribution: EmpiricalDistribution): boolean {
  const { values, weights } = distribution
  if (weights) return false
  for (let index = 1; index < values.length; index++) if (values[index] === values[index - 1]) return false
  return true
}
