import type { FeatureMatrix } from '../data/matrix.js'
import { selectRows } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { createRng, type Rng, shuffledIndices } from '../util/rng.js'
import { type DenseLayer, type DenseNetwork, forwardNetwork } from './dense-network.js'

export interface MlpOptions {
  /** Number of classes; default the largest label + 1. */
  classCount?: number
  /** Units of the hidden ReLU layer; default 64. */
  hiddenUnits?: number
  /** Passes over the data; default 5. */
  epochs?: number
  /** Rows per Adam step; default 128. */
  batchSize?: number
  /** Adam step size; default 0.002. */
  learningRate?: number
  /** Penalty `l2 / 2 · ‖W‖²` on the weights (not the biases); default 1e-4. */
  l2?: number
  /** Seed of the initial weights and the row order; default 1. */
  seed?: number
  /**
   * Replaces each minibatch before its gradient step, given the network as it stands (adversarial training puts
   * each row's worst case within a budget here); default the batch itself.
   */
  perturbBatch?: (network: DenseNetwork, batch: FeatureMatrix, labels: Int32Array) => FeatureMatrix
}

const DEFAULTS = { hiddenUnits: 64, epochs: 5, batchSize: 128, learningRate: 0.002, l2: 1e-4, seed: 1 }
const BETA1 = 0.9
const BETA2 = 0.999
const EPSILON = 1e-8

/** Adam's state for one parameter array. */
interface AdamSlot {
  readonly values: Float32Array
  readonly gradient: Float32Array
  readonly first: Float32Array
  readonly second: Float32Array
  /** Whether the L2 penalty applies (weights yes, biases no). */
  readonly penalised: boolean
}

function slot(values: Float32Array, penalised: boolean): AdamSlot {
  const length = values.length
  return {
    values,
    gradient: new Float32Array(length),
    first: new Float32Array(length),
    second: new Float32Array(length),
    penalised,
  }
}

function adamStep(slots: readonly AdamSlot[], step: number, learningRate: number, l2: number): void {
  const correction1 = 1 - BETA1 ** step
  const correction2 = 1 - BETA2 ** step
  for (const { values, gradient, first, second, penalised } of slots) {
    for (let i = 0; i < values.length; i++) {
      const g = gradient[i] + (penalised ? l2 * values[i] : 0)
      first[i] = BETA1 * first[i] + (1 - BETA1) * g
      second[i] = BETA2 * second[i] + (1 - BETA2) * g * g
      values[i] -= (learningRate * first[i]) / correction1 / (Math.sqrt(second[i] / correction2) + EPSILON)
    }
  }
}

/** He-initialised layer; the rng makes it reproducible. */
function initialLayer(inCols: number, outCols: number, rng: Rng): DenseLayer {
  const spread = Math.sqrt(2 / Math.max(inCols, 1))
  const weights = Float32Array.from({ length: inCols * outCols }, () => rng.normal() * spread)
  return { weights, bias: new Float32Array(outCols), inCols, outCols }
}

/** Adds `inputᵀ · delta` (the weight gradient of a layer) to `gradient`, skipping zero inputs. */
function addWeightGradient(
  input: Float32Array,
  delta: Float32Array,
  rowCount: number,
  layer: DenseLayer,
  weightGradient: Float32Array,
  biasGradient: Float32Array,
): void {
  const { inCols, outCols } = layer
  for (let row = 0; row < rowCount; row++) {
    const d = delta.subarray(row * outCols, (row + 1) * outCols)
    for (let unit = 0; unit < outCols; unit++) biasGradient[unit] += d[unit]
    for (let j = 0; j < inCols; j++) {
      const value = input[row * inCols + j]
      if (value === 0) continue
      const offset = j * outCols
      for (let unit = 0; unit < outCols; unit++) weightGradient[offset + unit] += value * d[unit]
    }
  }
}

/** Back-propagates one minibatch into the slots' gradients (mean cross-entropy). */
function accumulateGradients(
  network: DenseNetwork,
  batch: FeatureMatrix,
  labels: Int32Array,
  slots: readonly AdamSlot[],
): void {
  for (const s of slots) s.gradient.fill(0)
  const activations = forwardNetwork(network, batch)
  const [hiddenLayer, outputLayer] = network.layers
  const classCount = outputLayer.outCols
  const delta = Float32Array.from(activations[2])
  for (let row = 0; row < batch.rows; row++) delta[row * classCount + labels[row]] -= 1
  for (let i = 0; i < delta.length; i++) delta[i] /= batch.rows
  addWeightGradient(activations[1], delta, batch.rows, outputLayer, slots[2].gradient, slots[3].gradient)
  const hiddenUnits = hiddenLayer.outCols
  const hiddenDelta = new Float32Array(batch.rows * hiddenUnits)
  for (let row = 0; row < batch.rows; row++) {
    for (let unit = 0; unit < hiddenUnits; unit++) {
      if (activations[1][row * hiddenUnits + unit] <= 0) continue
      let sum = 0
      for (let c = 0; c < classCount; c++)
        sum += delta[row * classCount + c] * outputLayer.weights[unit * classCount + c]
      hiddenDelta[row * hiddenUnits + unit] = sum
    }
  }
  addWeightGradient(batch.data, hiddenDelta, batch.rows, hiddenLayer, slots[0].gradient, slots[1].gradient)
}

function checkMlpInputs(x: FeatureMatrix, labels: Int32Array, options: MlpOptions): number {
  let maxLabel = -1
  for (const label of labels) if (label > maxLabel) maxLabel = label
  const classCount = options.classCount ?? Math.max(2, maxLabel + 1)
  const issues: string[] = []
  if (labels.length !== x.rows) issues.push(`${labels.length} labels for ${x.rows} rows`)
  if (x.rows === 0) issues.push('no rows to train on')
  if (labels.some((label) => label < 0 || label >= classCount))
    issues.push(`labels outside 0..${classCount - 1}`)
  for (const key of ['hiddenUnits', 'epochs', 'batchSize'] as const) {
    const value = options[key]
    if (value !== undefined && !(Number.isInteger(value) && value >= 1))
      issues.push(`${key} ${value} (expected ≥ 1)`)
  }
  if (options.learningRate !== undefined && !(options.learningRate > 0))
    issues.push(`learningRate ${options.learningRate} (expected > 0)`)
  if (options.l2 !== undefined && !(options.l2 >= 0)) issues.push(`l2 ${options.l2} (expected ≥ 0)`)
  if (issues.length > 0) {
    throw new PoisonguardError('INVALID_ARGUMENT', `cannot train the MLP: ${issues.join('; ')}`, {
      issues: issues.map((message) => ({ message })),
      hint: 'pass one label code per row and positive training settings',
    })
  }
  return classCount
}

/**
 * Trains a one-hidden-layer ReLU network with softmax cross-entropy by minibatch Adam; the same seed gives the
 * same model. Returns it as a two-layer `DenseNetwork`.
 * @see Kingma, Ba. Adam: A Method for Stochastic Optimization. ICLR 2015.
 */
export function trainMlp(x: FeatureMatrix, labels: Int32Array, options: MlpOptions = {}): DenseNetwork {
  const classCount = checkMlpInputs(x, labels, options)
  const settings = { ...DEFAULTS }
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[])
    settings[key] = options[key] ?? DEFAULTS[key]
  const perturb = options.perturbBatch ?? ((_network, batch) => batch)
  const rng = createRng(settings.seed)
  const hidden = initialLayer(x.cols, settings.hiddenUnits, rng)
  const output = initialLayer(settings.hiddenUnits, classCount, rng)
  const network: DenseNetwork = { kind: 'mlp', layers: [hidden, output] }
  const slots = [
    slot(hidden.weights, true),
    slot(hidden.bias, false),
    slot(output.weights, true),
    slot(output.bias, false),
  ]
  let step = 0
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    const order = shuffledIndices(x.rows, rng)
    for (let start = 0; start < order.length; start += settings.batchSize) {
      const rows = order.subarray(start, Math.min(start + settings.batchSize, order.length))
      const batchLabels = Int32Array.from(rows, (row) => labels[row])
      const batch = perturb(network, selectRows(x, rows), batchLabels)
      accumulateGradients(network, batch, batchLabels, slots)
      adamStep(slots, ++step, settings.learningRate, settings.l2)
    }
  }
  return network
}
