import { consensusOf } from './em.js'
import type { Consensus } from './types.js'

/** Model probabilities are floored here so one overconfident prediction cannot veto the crowd. */
const MODEL_FLOOR = 1e-3

/** What a classifier trained on the items' features says, next to the crowd. */
export interface ModelView {
  /** itemCount × classCount out-of-fold class probabilities; rows of items without features are ignored. */
  readonly probabilities: Float64Array
  /** 1 for items the model saw features of. */
  readonly covered: Uint8Array
}

export interface CombinedView extends Consensus {
  /** Items the model covered. */
  readonly coveredItems: number
  /** Share of covered items where the model's most likely class is the crowd's consensus. */
  readonly agreement: number
  /** Per item, the crowd's label before the model's view was added where it changed, else −1. */
  readonly overruled: Int32Array
}

/**
 * Combines the crowd's posteriors with a classifier's out-of-fold probabilities for the same items, as in the
 * E-step of learning from crowds: the classifier takes the place of the class prior, posterior ∝ crowd posterior ×
 * model probability / prior. Items the model did not cover keep the crowd's posterior.
 * @see V. C. Raykar, S. Yu, L. H. Zhao, et al., "Learning from crowds", JMLR 11, 2010.
 */
export function combineWithModelView(crowd: Consensus, prior: Float64Array, view: ModelView): CombinedView {
  const classCount = prior.length
  const itemCount = crowd.label.length
  const posterior = new Float64Array(crowd.posterior)
  let coveredItems = 0
  let agreeing = 0
  for (let i = 0; i < itemCount; i++) {
    if (!view.covered[i]) continue
    coveredItems++
    const offset = i * classCount
    let modelBest = 0
    let sum = 0
    for (let k = 0; k < classCount; k++) {
      const model = Math.max(MODEL_FLOOR, view.probabilities[offset + k])
      if (view.probabilities[offset + k] > view.probabilities[offset + modelBest]) modelBest = k
      posterior[offset + k] *= model / prior[k]
      sum += posterior[offset + k]
    }
    if (modelBest === crowd.label[i]) agreeing++
    for (let k = 0; k < classCount; k++) posterior[offset + k] /= sum
  }
  const combined = consensusOf(posterior, classCount)
  const overruled = new Int32Array(itemCount).fill(-1)
  for (let i = 0; i < itemCount; i++) if (combined.label[i] !== crowd.label[i]) overruled[i] = crowd.label[i]
  return { ...combined, coveredItems, agreement: coveredItems > 0 ? agreeing / coveredItems : 0, overruled }
}
