import { lnGamma } from '../../stats/special.js'

/** Two Beta components fitted to evidence in [0,1]: the flipped records (high) and the genuine ones (low). */
export interface MembershipFit {
  /** Posterior chance that each value comes from the flipped component, non-decreasing in the value. */
  posterior: Float64Array
  /** Estimated share of flipped records among the values. */
  share: number
  memberMean: number
  nullMean: number
}

interface BetaShape {
  alpha: number
  beta: number
  logNormaliser: number
  mean: number
}

/** Values at exactly 0 or 1 have no Beta density; the clip is far below any evidence difference that matters. */
const clipMargin = 0.005
const maxIterations = 500
const tolerance = 1e-7
/**
 * Flipped records come from one class, so their evidence clusters around one mixing rate; a flatter component
 * (standard deviation above ~0.18 at mean 0.6) is the genuine class's tail, which EM would otherwise absorb.
 */
const minMemberConcentration = 6

/**
 * Weighted method-of-moments Beta fit with concentration α + β at least `minConcentration`; undefined when the
 * weights are (almost) all zero.
 */
function fitBeta(
  values: Float64Array,
  weights: Float64Array,
  complement: boolean,
  minConcentration = 0,
): BetaShape | undefined {
  let weightSum = 0
  let sum = 0
  for (let index = 0; index < values.length; index++) {
    const weight = complement ? 1 - weights[index] : weights[index]
    weightSum += weight
    sum += weight * values[index]
  }
  if (weightSum < 1e-6) return undefined
  const mean = sum / weightSum
  let squares = 0
  for (let index = 0; index < values.length; index++) {
    const weight = complement ? 1 - weights[index] : weights[index]
    squares += weight * (values[index] - mean) ** 2
  }
  // A Beta's variance is below mean·(1 − mean); clamping keeps both shapes positive for any data.
  const spread = mean * (1 - mean)
  const variance = Math.min(
    Math.max(squares / weightSum, 1e-8),
    spread * 0.99,
    spread / (1 + minConcentration),
  )
  const concentration = (mean * (1 - mean)) / variance - 1
  const alpha = mean * concentration
  const beta = (1 - mean) * concentration
  return { alpha, beta, mean, logNormaliser: lnGamma(alpha + beta) - lnGamma(alpha) - lnGamma(beta) }
}

/** The Beta log-density at a value, from the value's `ln v` and `ln(1 − v)`, which stay fixed over EM's rounds. */
function logDensity(shape: BetaShape, logValue: number, logComplement: number): number {
  return shape.logNormaliser + (shape.alpha - 1) * logValue + (shape.beta - 1) * logComplement
}

/** Starts EM from a hard split: the top `share` of the values are the flipped component. */
function initialResponsibilities(values: Float64Array, share: number): Float64Array {
  const sorted = Float64Array.from(values).sort()
  const cut = sorted[Math.min(values.length - 1, Math.floor(values.length * (1 - share)))]
  return values.map((value) => (value >= cut ? 1 : 0))
}

/**
 * Posterior that records lie below the genuine component's mean is set to 0, then made non-decreasing in the
 * evidence: a Beta with a shape below 1 has a density spike at the edge that would otherwise call the least
 * suspicious records flipped.
 */
function monotonePosterior(values: Float64Array, posterior: Float64Array, nullMean: number): Float64Array {
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b])
  const result = new Float64Array(values.length)
  let running = 0
  for (const index of order) {
    if (values[index] > nullMean) running = Math.max(running, posterior[index])
    result[index] = running
  }
  return result
}

/**
 * Fits a two-component Beta mixture to evidence values by expectation–maximisation, starting from an estimated
 * share of flipped records; undefined when the data hold no separate high component.
 * @see Arazo, Ortego, Albert, O'Connor, McGuinness. Unsupervised Label Noise Modeling and Loss Correction.
 *   ICML 2019 (a Beta mixture over per-record evidence separates mislabelled records from clean ones).
 */
export function fitMembership(evidence: Float64Array, initialShare: number): MembershipFit | undefined {
  if (evidence.length < 4) return undefined
  const values = evidence.map((value) => Math.min(1 - clipMargin, Math.max(clipMargin, value)))
  // Up to 500 rounds over a class of 100,000 records: the logarithms once, not twice per component per round.
  const logValues = values.map(Math.log)
  const logComplements = values.map((value) => Math.log1p(-value))
  let responsibilities = initialResponsibilities(values, initialShare)
  let member: BetaShape | undefined
  let genuine: BetaShape | undefined
  let share = initialShare
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    member = fitBeta(values, responsibilities, false, minMemberConcentration)
    genuine = fitBeta(values, responsibilities, true)
    if (!member || !genuine) return undefined
    share = responsibilities.reduce((sum, value) => sum + value, 0) / values.length
    const logShare = Math.log(share)
    const logRest = Math.log1p(-share)
    let change = 0
    const next = new Float64Array(values.length)
    for (let index = 0; index < values.length; index++) {
      const difference =
        logRest +
        logDensity(genuine, logValues[index], logComplements[index]) -
        logShare -
        logDensity(member, logValues[index], logComplements[index])
      next[index] = 1 / (1 + Math.exp(difference))
      change = Math.max(change, Math.abs(next[index] - responsibilities[index]))
    }
    responsibilities = next
    if (change < tolerance) break
  }
  if (!member || !genuine || member.mean <= genuine.mean) return undefined
  return {
    posterior: monotonePosterior(values, responsibilities, genuine.mean),
    share,
    memberMean: member.mean,
    nullMean: genuine.mean,
  }
}
