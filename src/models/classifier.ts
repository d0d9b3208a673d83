import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { type DenseNetwork, networkShape, predictNetwork } from './dense-network.js'

/**
 * A classifier as the model checks see it: rows of `inputWidth` float features in, class probabilities out. Any
 * ONNX classifier fits; a built-in one also exposes its `network`, which unlocks gradient methods.
 */
export interface Classifier {
  readonly inputWidth: number
  readonly classCount: number
  /** Label of each class index, when the model carries them. */
  readonly classNames?: readonly string[]
  /** The built-in network behind the model, when poisonguard made it. */
  readonly network?: DenseNetwork
  /** Class probabilities, rows × classCount. */
  predict(x: FeatureMatrix): Promise<FeatureMatrix>
  dispose(): Promise<void>
}

/** Throws `SHAPE_MISMATCH` unless the data has as many feature columns as the model takes. */
export function checkInputWidth(
  classifier: Pick<Classifier, 'inputWidth'>,
  cols: number,
  source: string,
): void {
  if (cols === classifier.inputWidth) return
  throw new PoisonguardError(
    'SHAPE_MISMATCH',
    `the model ${source} takes ${classifier.inputWidth} features per row, but the data has ${cols} feature columns`,
    { hint: 'pass data with the columns the model was trained on, in the same order' },
  )
}

/** A built-in network as a `Classifier`, run in plain TypeScript. */
export function classifierFromNetwork(network: DenseNetwork, classNames?: readonly string[]): Classifier {
  const { inputWidth, classCount } = networkShape(network)
  return {
    inputWidth,
    classCount,
    classNames,
    network,
    predict: async (x) => {
      checkInputWidth({ inputWidth }, x.cols, `(${network.kind})`)
      return predictNetwork(network, x)
    },
    dispose: async () => {},
  }
}

/** Index of the largest probability of each row. */
export function predictedClasses(probabilities: FeatureMatrix): Int32Array {
  const { data, rows, cols } = probabilities
  const out = new Int32Array(rows)
  for (let row = 0; row < rows; row++) {
    let best = 0
    for (let c = 1; c < cols; c++) if (data[row * cols + c] > data[row * cols + best]) best = c
    out[row] = best
  }
  return out
}
