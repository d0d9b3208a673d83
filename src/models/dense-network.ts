import type { FeatureMatrix } from '../data/matrix.js'
import { softmaxInPlace } from './design.js'
import type { LogisticModel } from './logistic-regression.js'

/** One fully connected layer: `out = in · weights + bias`, weights feature-major (`weights[in * outCols + out]`). */
export interface DenseLayer {
  readonly weights: Float32Array
  readonly bias: Float32Array
  readonly inCols: number
  readonly outCols: number
}

/**
 * The built-in classifiers in one shape: dense layers with ReLU between them and a softmax at the end. Logistic
 * regression is one layer, the MLP two; export, gradients and representations are written once for both.
 */
export interface DenseNetwork {
  readonly kind: 'logreg' | 'mlp'
  readonly layers: readonly DenseLayer[]
}

/** Input width and class count of a network. */
export function networkShape(network: DenseNetwork): { inputWidth: number; classCount: number } {
  const { layers } = network
  return { inputWidth: layers[0].inCols, classCount: layers[layers.length - 1].outCols }
}

/** Logistic regression as a one-layer network (shares its arrays). */
export function networkFromLogistic(model: LogisticModel): DenseNetwork {
  const layer = { weights: model.weights, bias: model.bias, inCols: model.cols, outCols: model.classCount }
  return { kind: 'logreg', layers: [layer] }
}

/**
 * `out[row] = in[row] · W + b`, skipping zero inputs (images and one-hot columns are mostly zeros). Each output is
 * summed in float32 over the row's non-zero inputs in order, as adding into the output array would, but four units
 * at a time in registers rather than in the output array, which cost a load and a store per product.
 */
function applyLayer(layer: DenseLayer, input: Float32Array, rowCount: number, out: Float32Array): void {
  const { weights, bias, inCols, outCols } = layer
  const offsets = new Int32Array(inCols)
  const values = new Float32Array(inCols)
  for (let row = 0; row < rowCount; row++) {
    const source = row * inCols
    let nonZeros = 0
    for (let j = 0; j < inCols; j++) {
      const value = input[source + j]
      if (value === 0) continue
      offsets[nonZeros] = j * outCols
      values[nonZeros++] = value
    }
    const target = row * outCols
    let unit = 0
    for (; unit + 3 < outCols; unit += 4) {
      let sum0 = bias[unit]
      let sum1 = bias[unit + 1]
      let sum2 = bias[unit + 2]
      let sum3 = bias[unit + 3]
      for (let k = 0; k < nonZeros; k++) {
        const value = values[k]
        const offset = offsets[k] + unit
        sum0 = Math.fround(sum0 + value * weights[offset])
        sum1 = Math.fround(sum1 + value * weights[offset + 1])
        sum2 = Math.fround(sum2 + value * weights[offset + 2])
        sum3 = Math.fround(sum3 + value * weights[offset + 3])
      }
      out[target + unit] = sum0
      out[target + unit + 1] = sum1
      out[target + unit + 2] = sum2
      out[target + unit + 3] = sum3
    }
    for (; unit < outCols; unit++) {
      let sum = bias[unit]
      for (let k = 0; k < nonZeros; k++) sum = Math.fround(sum + values[k] * weights[offsets[k] + unit])
      out[target + unit] = sum
    }
  }
}

function reluInPlace(values: Float32Array): void {
  for (let i = 0; i < values.length; i++) if (values[i] < 0) values[i] = 0
}

function softmaxRows(logits: Float32Array, rowCount: number, classCount: number): void {
  const scratch = new Float64Array(classCount)
  for (let row = 0; row < rowCount; row++) {
    const part = logits.subarray(row * classCount, (row + 1) * classCount)
    scratch.set(part)
    softmaxInPlace(scratch, classCount)
    part.set(scratch)
  }
}

/** Every layer's output for a batch: activations[0] is the input, the last entry the class probabilities. */
export function forwardNetwork(network: DenseNetwork, x: FeatureMatrix): Float32Array[] {
  const activations: Float32Array[] = [x.data]
  network.layers.forEach((layer, index) => {
    const out = new Float32Array(x.rows * layer.outCols)
    applyLayer(layer, activations[index], x.rows, out)
    if (index < network.layers.length - 1) reluInPlace(out)
    else softmaxRows(out, x.rows, layer.outCols)
    activations.push(out)
  })
  return activations
}

/** Class probabilities of every row (rows × classCount). */
export function predictNetwork(network: DenseNetwork, x: FeatureMatrix): FeatureMatrix {
  const activations = forwardNetwork(network, x)
  return { data: activations[activations.length - 1], rows: x.rows, cols: networkShape(network).classCount }
}

/** The input of the last layer for every row: the model's own representation (the features for logreg). */
export function penultimateRepresentation(network: DenseNetwork, x: FeatureMatrix): FeatureMatrix {
  const activations = forwardNetwork(network, x)
  const last = network.layers[network.layers.length - 1]
  return { data: activations[activations.length - 2], rows: x.rows, cols: last.inCols }
}

/** `delta[row] · Wᵀ`: the gradient with respect to a layer's input from the gradient at its output. */
function backLayer(layer: DenseLayer, delta: Float32Array, rowCount: number): Float32Array {
  const { weights, inCols, outCols } = layer
  const out = new Float32Array(rowCount * inCols)
  for (let row = 0; row < rowCount; row++) {
    const d = delta.subarray(row * outCols, (row + 1) * outCols)
    for (let j = 0; j < inCols; j++) {
      const offset = j * outCols
      let sum = 0
      for (let unit = 0; unit < outCols; unit++) sum += d[unit] * weights[offset + unit]
      out[row * inCols + j] = sum
    }
  }
  return out
}

/**
 * Cross-entropy of each row towards `targets[row]` and its gradient with respect to the input (rows × inputWidth),
 * with the probabilities: the step that trigger reverse engineering descends.
 */
export function inputGradient(
  network: DenseNetwork,
  x: FeatureMatrix,
  targets: Int32Array,
): { gradient: Float32Array; probabilities: Float32Array } {
  const activations = forwardNetwork(network, x)
  const { classCount } = networkShape(network)
  const probabilities = activations[activations.length - 1]
  let delta: Float32Array = Float32Array.from(probabilities)
  for (let row = 0; row < x.rows; row++) delta[row * classCount + targets[row]] -= 1
  for (let index = network.layers.length - 1; index >= 0; index--) {
    delta = backLayer(network.layers[index], delta, x.rows)
    if (index > 0) {
      const input = activations[index]
      for (let i = 0; i < delta.length; i++) if (input[i] <= 0) delta[i] = 0
    }
  }
  return { gradient: delta, probabilities }
}

/**
 * Folds a standardisation `(x − mean) / scale` into the first layer, so the exported model takes raw features:
 * `W'[j] = W[j] / scale[j]`, `b' = b − Σ_j mean[j] · W'[j]`.
 */
export function foldStandardization(
  network: DenseNetwork,
  mean: Float32Array,
  scale: Float32Array,
): DenseNetwork {
  const [first, ...rest] = network.layers
  const weights = new Float32Array(first.weights.length)
  const bias = Float32Array.from(first.bias)
  for (let j = 0; j < first.inCols; j++) {
    for (let unit = 0; unit < first.outCols; unit++) {
      const w = first.weights[j * first.outCols + unit] / scale[j]
      weights[j * first.outCols + unit] = w
      bias[unit] -= mean[j] * w
    }
  }
  return { kind: network.kind, layers: [{ ...first, weights, bias }, ...rest] }
}
