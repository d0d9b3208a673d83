import type { FeatureMatrix } from '../../data/matrix.js'

/** Probabilities are floored here before logarithms are taken, so a model's exact zeros stay finite. */
const floor = 1e-12

/** Log-exponents searched for the probabilities' sharpness: from nearly flat to far sharper than given. */
const logExponentRange = { low: Math.log(0.02), high: Math.log(50) }
/** Golden-section steps over the log-exponent, each profiling the noise out: they place it to within 1%. */
const exponentSteps = 14
/** Golden-section steps over the noise rate given the exponent: the likelihood is concave in it. */
const noiseSteps = 30

/** Each labelled record's share of its own label once the probabilities are raised to `exponent` and renormalised. */
function ownLabelShares(
  logs: Float64Array,
  codes: Int32Array,
  classCount: number,
  exponent: number,
): Float64Array {
  const shares = new Float64Array(codes.length)
  for (let row = 0; row < codes.length; row++) {
    const code = codes[row]
    if (code < 0) continue
    const offset = row * classCount
    let largest = Number.NEGATIVE_INFINITY
    for (let label = 0; label < classCount; label++) largest = Math.max(largest, logs[offset + label])
    let total = 0
    for (let label = 0; label < classCount; label++)
      total += Math.exp(exponent * (logs[offset + label] - largest))
    shares[row] = Math.exp(exponent * (logs[offset + code] - largest)) / total
  }
  return shares
}

/** Log-likelihood of the labels when `shares` are their clean probabilities and `noise` is spread over the classes. */
function flipLogLikelihood(
  shares: Float64Array,
  codes: Int32Array,
  classCount: number,
  noise: number,
): number {
  const intoEach = noise / (classCount - 1)
  let total = 0
  for (let row = 0; row < codes.length; row++)
    if (codes[row] >= 0) total += Math.log(Math.max(intoEach + (1 - noise - intoEach) * shares[row], floor))
  return total
}

/** Golden-section search for the largest value of a unimodal function on [low, high]; returns the argument and value. */
function goldenMaximum(value: (point: number) => number, low: number, high: number, steps: number) {
  const ratio = (Math.sqrt(5) - 1) / 2
  let left = high - ratio * (high - low)
  let right = low + ratio * (high - low)
  let leftValue = value(left)
  let rightValue = value(right)
  for (let step = 0; step < steps; step++) {
    if (leftValue >= rightValue) {
      high = right
      right = left
      rightValue = leftValue
      left = high - ratio * (high - low)
      leftValue = value(left)
    } else {
      low = left
      left = right
      leftValue = rightValue
      right = low + ratio * (high - low)
      rightValue = value(right)
    }
  }
  return leftValue >= rightValue ? { point: left, value: leftValue } : { point: right, value: rightValue }
}

/**
 * The share of labels flipped at random that makes the observed labels most likely, when each record's clean class
 * probabilities are `probabilities` raised to an exponent fitted with it. Random flips put a floor of
 * noise / (classes − 1) under every record's chance of every label, however sure the model is of another class;
 * classes that honestly overlap (a churn that follows a noisy score, thirds of one measurement) make unlikely labels
 * as rare as the model's own probabilities say, which a softer exponent explains and a floor does not. Confident
 * learning counts both alike, so on clean data whose classes overlap it reads their overlap as noise, and every
 * honest label the model gives less than that noise is called surely wrong. Fitting the sharpness beside the floor
 * lets the labels themselves say which of the two they show.
 * @see Goldberger, Ben-Reuven. Training deep neural-networks using a noise adaptation layer. ICLR 2017.
 */
export function likeliestFlipRate(probabilities: FeatureMatrix, codes: Int32Array): number {
  const classCount = probabilities.cols
  if (classCount < 2) return 0
  const logs = new Float64Array(probabilities.data.length)
  for (let index = 0; index < logs.length; index++)
    logs[index] = Math.log(Math.max(probabilities.data[index], floor))
  const maxNoise = (classCount - 1) / classCount
  const profile = (logExponent: number) => {
    const shares = ownLabelShares(logs, codes, classCount, Math.exp(logExponent))
    return goldenMaximum(
      (noise) => flipLogLikelihood(shares, codes, classCount, noise),
      0,
      maxNoise,
      noiseSteps,
    )
  }
  const best = goldenMaximum(
    (logExponent) => profile(logExponent).value,
    logExponentRange.low,
    logExponentRange.high,
    exponentSteps,
  )
  return profile(best.point).point
}
