import { regularizedGammaQ } from './special.js'
import { normalSurvival } from './tails.js'

export interface PermutationPValue {
  /** (1 + #{permuted ≥ observed}) / (1 + permutations), or the fitted tail when no permutation reached it. */
  pValue: number
  /** How many permuted statistics reached the observed one. */
  exceedances: number
  permutations: number
  /** Set when the p-value came from the Pearson type III fit to the permutation distribution. */
  tailFit?: 'pearson3' | 'normal'
}

/**
 * p-value of a permutation test. The plain count can never go below 1/(B + 1), which a false-discovery correction
 * over many tests would never reject; so when the observed statistic beats every permutation, the tail is read
 * from a Pearson type III (shifted gamma) curve fitted to the permutation distribution's mean, variance and
 * skewness, capped at 1/(B + 1).
 * @see Gretton et al. (2007), A kernel method for the two-sample problem, NeurIPS (Pearson curves for MMD).
 */
export function permutationPValue(observed: number, permuted: Float64Array): PermutationPValue {
  const permutations = permuted.length
  let exceedances = 0
  for (const value of permuted) if (value >= observed) exceedances++
  const plain = (1 + exceedances) / (1 + permutations)
  if (exceedances > 0 || permutations < 20) return { pValue: plain, exceedances, permutations }
  const fitted = pearsonTypeThreeTail(observed, permuted)
  return {
    pValue: Math.min(plain, fitted.pValue),
    exceedances,
    permutations,
    tailFit: fitted.kind,
  }
}

/** Upper tail at `observed` of the Pearson type III curve with the sample's first three moments. */
function pearsonTypeThreeTail(
  observed: number,
  sample: Float64Array,
): { pValue: number; kind: 'pearson3' | 'normal' } {
  let mean = 0
  for (const value of sample) mean += value
  mean /= sample.length
  let m2 = 0
  let m3 = 0
  for (const value of sample) {
    const deviation = value - mean
    m2 += deviation * deviation
    m3 += deviation * deviation * deviation
  }
  m2 /= sample.length
  m3 /= sample.length
  const std = Math.sqrt(m2)
  if (std === 0) return { pValue: observed > mean ? 0 : 1, kind: 'normal' }
  const skewness = m3 / (std * std * std)
  // Near-symmetric permutation distributions are normal to the precision the moments allow.
  if (skewness < 0.05) return { pValue: normalSurvival((observed - mean) / std), kind: 'normal' }
  const shape = 4 / (skewness * skewness)
  const scale = (std * skewness) / 2
  const location = mean - shape * scale
  return { pValue: regularizedGammaQ(shape, (observed - location) / scale), kind: 'pearson3' }
}
