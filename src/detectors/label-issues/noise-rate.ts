import type { FeatureMatrix } from '../../data/matrix.js'

/**
 * Low quantiles of all record–class probabilities below which wrong labels are counted: correct labels seldom sit
 * so low even under a weak model (none of 3,000 below the 30% quantile in a hundred classes of thirty records each),
 * while labels spread at random over the other classes land there as often as those classes' probabilities do.
 */
const cutQuantiles = [0.05, 0.1, 0.2, 0.3, 0.5] as const

/** Pairs read to place the cuts: a strided sample of this size places a quantile to within about a thousandth. */
const quantileSampleSize = 1 << 17

/** The probabilities of every labelled record's classes at the `cutQuantiles` of their distribution, ascending. */
function cutsOf(probabilities: FeatureMatrix, codes: Int32Array): Float64Array {
  const classCount = probabilities.cols
  const labelledRows: number[] = []
  codes.forEach((code, row) => {
    if (code >= 0) labelledRows.push(row)
  })
  const pairCount = labelledRows.length * classCount
  const stride = Math.max(1, Math.floor(pairCount / quantileSampleSize))
  const sample = new Float64Array(Math.ceil(pairCount / stride))
  for (let pair = 0, index = 0; pair < pairCount; pair += stride, index++) {
    const row = labelledRows[Math.floor(pair / classCount)]
    sample[index] = probabilities.data[row * classCount + (pair % classCount)]
  }
  sample.sort()
  return Float64Array.from(cutQuantiles, (quantile) => sample[Math.floor(quantile * (sample.length - 1))])
}

/**
 * The share of wrong labels the scanned data admit, against a null drawn from the data itself: a label spread at
 * random over the other classes (the noise `wrongLabelChances` assumes) is one of the record's other classes, so its
 * out-of-fold probability is distributed as the other classes' probabilities are. Below a low cut of all record–class
 * probabilities, each pair there holds a wrong label with chance noise / (classes − 1), so the labels found there
 * estimate the noise share (Storey's estimator, with the wrong labels in the role of the discoveries). Correct labels
 * below a cut only raise the estimate, so the least over a few cuts is kept: where a weak model leaves many correct
 * labels at low probabilities, confident learning's count of labels it can put elsewhere (a quarter of a hundred
 * classes of thirty records) is noise the data do not show. Each cut's count is read at its upper confidence bound:
 * on a few hundred records a low cut holds a handful of labels, and the least of several such small counts would
 * fall below the noise there is (400 records with 5% flips were estimated near none, and the flips went unflagged).
 * @see Storey. A direct approach to false discovery rates. J. R. Stat. Soc. B 64, 2002.
 */
export function lowCutNoiseRate(probabilities: FeatureMatrix, codes: Int32Array): number {
  const classCount = probabilities.cols
  if (classCount < 2) return 0
  const cuts = cutsOf(probabilities, codes)
  const pairsBelow = new Float64Array(cuts.length)
  const labelsBelow = new Float64Array(cuts.length)
  codes.forEach((code, row) => {
    if (code < 0) return
    for (let label = 0; label < classCount; label++) {
      const probability = probabilities.data[row * classCount + label]
      for (let cut = cuts.length - 1; cut >= 0 && probability < cuts[cut]; cut--) {
        pairsBelow[cut]++
        if (label === code) labelsBelow[cut]++
      }
    }
  })
  let rate = 1
  pairsBelow.forEach((pairs, cut) => {
    if (pairs > 0) rate = Math.min(rate, ((classCount - 1) * poissonUpperBound(labelsBelow[cut])) / pairs)
  })
  return rate
}

/**
 * A one-sided upper confidence bound of about 95% on a Poisson mean given `count` events: the normal approximation
 * with a margin that makes it 3.0 at a count of 0, the exact bound there.
 */
function poissonUpperBound(count: number): number {
  return count + 1.645 * Math.sqrt(count + 1) + 1.35
}
