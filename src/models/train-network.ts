import type { FeatureMatrix } from '../data/matrix.js'
import { standardize } from '../features/standardize.js'
import { createRng } from '../util/rng.js'
import { type DenseNetwork, foldStandardization, networkFromLogistic } from './dense-network.js'
import { trainLogisticRegression } from './logistic-regression.js'
import { type MlpOptions, trainMlp } from './mlp.js'

/** The built-in model families `poisonguard train` offers. */
export const builtinModelKinds = ['logreg', 'mlp'] as const
export type BuiltinModelKind = (typeof builtinModelKinds)[number]

/** Settings of one fit; the MLP's fields apply to the MLP, `epochs` and `l2` to both. */
export interface NetworkSettings extends Omit<MlpOptions, 'seed' | 'classCount'> {
  kind: BuiltinModelKind
  classCount: number
  seed: number
  /** Standardise the columns before fitting (folded back into the weights); default true, off for images. */
  standardize?: boolean
}

/** Fits one built-in network to `x`; the standardisation, when asked for, is folded into its first layer. */
export type FitNetwork = (x: FeatureMatrix, labels: Int32Array, settings: NetworkSettings) => DenseNetwork

/**
 * How a model is trained from its data. The standard procedure fits once on every record; a robust procedure
 * (partitioned or sanitised training) implements the same interface and is named, with its parameters, in the
 * model card.
 */
export interface TrainingProcedure {
  readonly id: string
  readonly parameters: Readonly<Record<string, unknown>>
  train(x: FeatureMatrix, labels: Int32Array, settings: NetworkSettings, fitNetwork: FitNetwork): DenseNetwork
}

/** One fit on all the data. */
export const standardTraining: TrainingProcedure = {
  id: 'standard',
  parameters: {},
  train: (x, labels, settings, fitNetwork) => fitNetwork(x, labels, settings),
}

/** Fits a logistic regression (SGD) or an MLP (Adam) by `settings.kind`. */
export const fitBuiltinNetwork: FitNetwork = (x, labels, settings) => {
  const scaled = settings.standardize === false ? undefined : standardize(x)
  const input = scaled?.matrix ?? x
  const network =
    settings.kind === 'logreg'
      ? networkFromLogistic(
          trainLogisticRegression(input, labels, {
            classCount: settings.classCount,
            epochs: settings.epochs ?? 10,
            l2: settings.l2,
            rng: createRng(settings.seed),
          }),
        )
      : trainMlp(input, labels, { ...settings, classCount: settings.classCount, seed: settings.seed })
  return scaled ? foldStandardization(network, scaled.mean, scaled.scale) : network
}
