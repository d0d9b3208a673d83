import { type FeatureMatrix, selectRows } from '../data/matrix.js'
import type { DenseNetwork } from '../models/dense-network.js'
import { softmaxInPlace } from '../models/design.js'
import { type LogisticModel, validateTrainingInputs } from '../models/logistic-regression.js'
import { createRng, type Rng, shuffledIndices } from '../util/rng.js'
import { type PgdOptions, pgdAttack } from './pgd.js'

export interface RobustLogisticOptions {
  classCount?: number
  /** 'cross-entropy' (default) or 'gce', the generalised cross-entropy (1 − p_y^q) / q, robust to noisy labels. */
  loss?: 'cross-entropy' | 'gce'
  /** Exponent q of the generalised cross-entropy in (0, 1]; default 0.7. */
  gceExponent?: number
  /** Train on the worst input of this ball found by PGD instead of the input itself (adversarial training). */
  adversarial?: PgdOptions
  /** Passes over the data; default 5. */
  epochs?: number
  /** Rows per update; default 32. */
  batchSize?: number
  /** First step of SGD with momentum 0.9, decaying linearly to a tenth; default 0.1. */
  learningRate?: number
  /** Penalty `l2 / 2 · ‖W‖²`; default 1e-4. */
  l2?: number
  /** Row order and PGD's random starts; default seeded with 1. */
  rng?: Rng
}

/** Logits and softmax of one row under weights `W` (feature-major) and bias `b`, in `probabilities`. */
function forward(
  row: Float32Array,
  weights: Float64Array,
  bias: Float64Array,
  classCount: number,
  probabilities: Float64Array,
) {
  probabilities.set(bias)
  for (let j = 0; j < row.length; j++) {
    const value = row[j]
    if (value === 0) continue
    const offset = j * classCount
    for (let c = 0; c < classCount; c++) probabilities[c] += value * weights[offset + c]
  }
  softmaxInPlace(probabilities, classCount)
}

/** The weights being trained as a one-layer network, for PGD's gradients. */
function currentNetwork(
  weights: Float64Array,
  bias: Float64Array,
  cols: number,
  classCount: number,
): DenseNetwork {
  const layer = {
    weights: Float32Array.from(weights),
    bias: Float32Array.from(bias),
    inCols: cols,
    outCols: classCount,
  }
  return { kind: 'logreg', layers: [layer] }
}

/**
 * Adds the mean loss gradient of a batch to `gradient` (weights, then biases): the cross-entropy's residual
 * `p − e_y`, damped by `p_y^q` for the generalised cross-entropy (`exponent` q > 0).
 */
function addBatchGradient(
  inputs: FeatureMatrix,
  batchLabels: Int32Array,
  model: { weights: Float64Array; bias: Float64Array; classCount: number; exponent: number },
  gradient: Float64Array,
) {
  const { weights, bias, classCount, exponent } = model
  const { cols } = inputs
  const probabilities = new Float64Array(classCount)
  for (let position = 0; position < inputs.rows; position++) {
    const row = inputs.data.subarray(position * cols, (position + 1) * cols)
    const label = batchLabels[position]
    forward(row, weights, bias, classCount, probabilities)
    const damping = exponent > 0 ? probabilities[label] ** exponent : 1
    probabilities[label] -= 1
    for (let c = 0; c < classCount; c++) probabilities[c] *= damping / inputs.rows
    for (let j = 0; j < cols; j++) {
      const value = row[j]
      if (value === 0) continue
      const offset = j * classCount
      for (let c = 0; c < classCount; c++) gradient[offset + c] += value * probabilities[c]
    }
    for (let c = 0; c < classCount; c++) gradient[weights.length + c] += probabilities[c]
  }
}

/**
 * Trains multinomial logistic regression by mini-batch SGD with momentum on dense features, optionally on PGD's
 * worst case of every row (adversarial training) and with the generalised cross-entropy, whose gradient is the
 * cross-entropy's damped by p_y^q, so confidently contradicted (likely mislabelled) rows pull less.
 * @see Madry et al. (2018), Towards deep learning models resistant to adversarial attacks, ICLR.
 * @see Zhang & Sabuncu (2018), Generalized cross entropy loss for training deep neural networks with noisy labels,
 * NeurIPS.
 */
export function trainRobustLogistic(
  x: FeatureMatrix,
  labels: Int32Array,
  options: RobustLogisticOptions = {},
): LogisticModel {
  const classCount = validateTrainingInputs(x, labels, { classCount: options.classCount, l2: options.l2 })
  const { cols } = x
  const rng = options.rng ?? createRng(1)
  const epochs = options.epochs ?? 5
  const batchSize = options.batchSize ?? 32
  const l2 = options.l2 ?? 1e-4
  const exponent = options.loss === 'gce' ? (options.gceExponent ?? 0.7) : 0
  const weights = new Float64Array(cols * classCount)
  const bias = new Float64Array(classCount)
  const velocity = new Float64Array(weights.length + classCount)
  const gradient = new Float64Array(weights.length + classCount)
  const totalBatches = epochs * Math.ceil(x.rows / batchSize)
  let batchIndex = 0
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffledIndices(x.rows, rng)
    for (let start = 0; start < order.length; start += batchSize, batchIndex++) {
      gradient.fill(0)
      const batchRows = order.subarray(start, Math.min(start + batchSize, order.length))
      const batchLabels = Int32Array.from(batchRows, (index) => labels[index])
      const batch = selectRows(x, batchRows)
      // Madry's inner maximisation: every row replaced by PGD's worst case under the current weights.
      const inputs = options.adversarial
        ? pgdAttack(
            currentNetwork(weights, bias, cols, classCount),
            batch,
            batchLabels,
            options.adversarial,
            rng,
          )
        : batch
      addBatchGradient(inputs, batchLabels, { weights, bias, classCount, exponent }, gradient)
      const step = (options.learningRate ?? 0.1) * (1 - (0.9 * batchIndex) / totalBatches)
      for (let i = 0; i < weights.length; i++) {
        velocity[i] = 0.9 * velocity[i] - step * (gradient[i] + l2 * weights[i])
        weights[i] += velocity[i]
      }
      for (let c = 0; c < classCount; c++) {
        const i = weights.length + c
        velocity[i] = 0.9 * velocity[i] - step * gradient[i]
        bias[c] += velocity[i]
      }
    }
  }
  return {
    weights: Float32Array.from(weights),
    bias: Float32Array.from(bias),
    cols,
    classCount,
    iterations: epochs,
    converged: true,
  }
}
