import type { FeatureMatrix } from '../data/matrix.js'
import type { KnnModel } from '../robust/knn.js'
import { creditNeighbourVotes } from '../robust/vote-credit.js'
import { loadEnsembleFolder } from './ensemble-folder.js'
import type { EnsembleDescription } from './model-file.js'

/**
 * Responsibility of each training record for a k-NN ensemble's predictions: the member votes its neighbourhoods
 * carried (`creditNeighbourVotes`), scaled to [0,1] by the largest. Undefined for other learners, whose members
 * share no representation to compare in.
 */
export async function neighbourVoteScores(
  path: string,
  ensemble: EnsembleDescription,
  trainX: FeatureMatrix,
  inputsX: FeatureMatrix,
  predictions: Int32Array,
): Promise<{ score: Float64Array } | undefined> {
  if (ensemble.learner !== 'knn') return undefined
  const { members } = (await loadEnsembleFolder(path)).ensemble
  const credit = creditNeighbourVotes(members as KnnModel[], trainX, inputsX, predictions)
  const largest = Math.max(0, ...credit)
  return { score: credit.map((value) => (largest > 0 ? value / largest : 0)) }
}
