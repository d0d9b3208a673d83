import type { FeatureMatrix } from '../../data/matrix.js'
import type { NoiseBelief } from './posterior.js'

/** Probabilities are floored here before logarithms are taken, so a model's exact zeros stay finite. */
const floor = 1e-12

/** Exponents tried for the probabilities' sharpness, spaced evenly in their logarithm: nearly flat to far sharper. */
const exponentRange = { low: 0.02, high: 50, count: 32 }
/** Noise rates the belief is spread over, evenly in their logarithm from `lowestRate` to the cap. */
const rateCount = 16
/** The least noise a chance is read at (`wrongLabelChances` reads no less). */
const lowestRate = 1e-3
/**
 * Records the fit reads at most, a strided sample beyond: the belief only widens on a sample, and each exponent
 * keeps one number per record read.
 */
const maxRecordsRead = 1 << 16

/** The labelled records the fit reads: all, or a strided sample of `maxRecordsRead`. */
function recordsRead(codes: Int32Array): Int32Array {
  const labelled: number[] = []
  codes.forEach((code, row) => {
    if (code >= 0) labelled.push(row)
  })
  const stride = Math.max(1, Math.ceil(labelled.length / maxRecordsRead))
  return Int32Array.from(
    { length: Math.ceil(labelled.length / stride) },
    (_, index) => labelled[index * stride],
  )
}

/**
 * For each exponent of the range, each record's share of its own label once its probabilities are raised to it and
 * renormalised.
 */
function ownLabelShares(probabilities: FeatureMatrix, codes: Int32Array, rows: Int32Array): Float64Array[] {
  const classCount = probabilities.cols
  const { low, high, count } = exponentRange
  const exponents = Float64Array.from(
    { length: count },
    (_, index) => low * (high / low) ** (index / (count - 1)),
  )
  const shares = Array.from(exponents, () => new Float64Array(rows.length))
  // Each class's log-probability less the record's own label's: its share is 1 / Σ exp(exponent · gap).
  const gaps = new Float64Array(classCount)
  for (let index = 0; index < rows.length; index++) {
    const offset = rows[index] * classCount
    const own = Math.log(Math.max(probabilities.data[offset + codes[rows[index]]], floor))
    for (let label = 0; label < classCount; label++)
      gaps[label] = Math.log(Math.max(probabilities.data[offset + label], floor)) - own
    for (let at = 0; at < count; at++) {
      const exponent = exponents[at]
      let total = 0
      for (let label = 0; label < classCount; label++) total += Math.exp(exponent * gaps[label])
      shares[at][index] = 1 / total
    }
  }
  return shares
}

/** Log-likelihood of the labels when `shares` are their clean probabilities and `noise` is spread over the classes. */
function flipLogLikelihood(shares: Float64Array, classCount: number, noise: number): number {
  const intoEach = noise / (classCount - 1)
  let total = 0
  for (const share of shares) total += Math.log(Math.max(intoEach + (1 - noise - intoEach) * share, floor))
  return total
}

/**
 * How much each share of labels flipped at random is believed, up to `cap` (the most the other estimates admit), when
 * each record's clean class probabilities are `probabilities` raised to an exponent fitted with it: the profile
 * likelihood of the rate under a prior even in its logarithm. Random flips put a floor of noise / (classes − 1)
 * under every record's chance of every label, however sure the model is of another class; classes that honestly
 * overlap (a churn that follows a noisy score, thirds of one measurement) make unlikely labels as rare as the model's
 * own probabilities say, which a softer exponent explains and a floor does not. Confident learning counts both
 * alike, so on clean data whose classes overlap it reads their overlap as noise, and every honest label the model
 * gives less than that noise is called surely wrong. Fitting the sharpness beside the floor lets the labels say which
 * of the two they show, and as sharply as they can: a thousand records of a noisy churn score leave every rate from
 * none to a quarter open, ten thousand digits with 10% flips only rates near 0.1.
 * @see Goldberger, Ben-Reuven. Training deep neural-networks using a noise adaptation layer. ICLR 2017.
 */
export function flipRateBelief(probabilities: FeatureMatrix, codes: Int32Array, cap: number): NoiseBelief {
  const classCount = probabilities.cols
  if (classCount < 2 || !(cap > lowestRate)) return { rates: [cap], weights: [1] }
  const shares = ownLabelShares(probabilities, codes, recordsRead(codes))
  const rates = Float64Array.from(
    { length: rateCount },
    (_, index) => lowestRate * (cap / lowestRate) ** (index / (rateCount - 1)),
  )
  const profile = rates.map((rate) =>
    Math.max(...shares.map((each) => flipLogLikelihood(each, classCount, rate))),
  )
  const peak = Math.max(...profile)
  const weights = profile.map((value) => Math.exp(value - peak))
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  return { rates, weights: weights.map((weight) => weight / total) }
}
