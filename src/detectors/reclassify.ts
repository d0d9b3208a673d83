import { type FeatureMatrix, selectRows } from '../data/matrix.js'
import { predictProbabilities, trainLogisticRegression } from '../models/logistic-regression.js'
import type { Rng } from '../util/rng.js'

/** How a model that never saw a group of records classifies them. */
export interface Reclassification {
  /** Share of the held-out records given their own label, in [0,1]. */
  readonly ownLabelShare: number
  /** Mean probability of the most likely other class over the held-out records, in [0,1]. */
  readonly meanOtherConfidence: number
  /** Predicted class code of each held-out record, in the order given. */
  readonly predictions: Int32Array
}

/**
 * Exclusionary reclassification: retrains the built-in model without the held-out records and classifies them.
 * Poison carries its label only because of a trigger the rest of the data lacks, so it lands in other classes;
 * an unusual but genuine group of a class still lands in its own class. Records of other classes in the held-out
 * group's region (`sharingRegion`) are left out of training too: a trigger has no such records, while a natural
 * group's mislabelled members would otherwise teach the model the wrong label for the whole region.
 * @see Chen et al. Detecting Backdoor Attacks on Deep Neural Networks by Activation Clustering. SafeAI 2019.
 */
export function reclassifyHeldOut(
  features: FeatureMatrix,
  codes: Int32Array,
  classCount: number,
  heldOut: Int32Array,
  label: number,
  rng: Rng,
  sharingRegion: ArrayLike<number> = [],
): Reclassification {
  const excluded = new Uint8Array(codes.length)
  for (const row of heldOut) excluded[row] = 1
  for (let index = 0; index < sharingRegion.length; index++) excluded[sharingRegion[index]] = 1
  const training: number[] = []
  for (let row = 0; row < codes.length; row++) if (codes[row] >= 0 && !excluded[row]) training.push(row)
  const model = trainLogisticRegression(
    selectRows(features, training),
    Int32Array.from(training, (row) => codes[row]),
    { classCount, epochs: 5, rng },
  )
  const probabilities = predictProbabilities(model, selectRows(features, heldOut)).data
  const predictions = new Int32Array(heldOut.length)
  let own = 0
  let otherConfidence = 0
  for (let position = 0; position < heldOut.length; position++) {
    let best = 0
    let bestOther = -1
    for (let code = 0; code < classCount; code++) {
      const probability = probabilities[position * classCount + code]
      if (probability > probabilities[position * classCount + best]) best = code
      if (code !== label && (bestOther < 0 || probability > probabilities[position * classCount + bestOther]))
        bestOther = code
    }
    predictions[position] = best
    if (best === label) own++
    if (bestOther >= 0) otherConfidence += probabilities[position * classCount + bestOther]
  }
  const count = Math.max(heldOut.length, 1)
  return { ownLabelShare: own / count, meanOtherConfidence: otherConfidence / count, predictions }
}
