import type { FeatureMatrix } from '../data/matrix.js'
import type { DenseNetwork } from '../models/dense-network.js'
import { type MlpOptions, trainMlp } from '../models/mlp.js'
import { createRng } from '../util/rng.js'
import { type PgdOptions, pgdAttack } from './pgd.js'

export interface AdversarialMlpOptions extends Omit<MlpOptions, 'perturbBatch'> {
  /** The L∞ ball PGD searches for every training row's worst case, in feature units. */
  adversarial: PgdOptions
}

/**
 * Trains the built-in one-hidden-layer MLP on PGD's worst case of every minibatch row under the current weights
 * (Madry's min-max training); the same seed gives the same model.
 * @see Madry et al. (2018), Towards deep learning models resistant to adversarial attacks, ICLR.
 */
export function trainAdversarialMlp(
  x: FeatureMatrix,
  labels: Int32Array,
  options: AdversarialMlpOptions,
): DenseNetwork {
  const { adversarial, ...mlp } = options
  // PGD's random starts draw from their own stream, so the row order matches standard training's for a seed.
  const rng = createRng((options.seed ?? 1) + 0x9e37)
  return trainMlp(x, labels, {
    ...mlp,
    perturbBatch: (network, batch, batchLabels) => pgdAttack(network, batch, batchLabels, adversarial, rng),
  })
}
