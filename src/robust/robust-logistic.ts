import type { FeatureMatrix } from '../data/matrix.js'
import { softmaxInPlace } from '../models/design.js'
import { type LogisticModel, validateTrainingInputs } from '../models/logistic-regression.js'
import { createRng, type Rng, shuffledIndices } from '../util/rng.js'

/** An L∞ ball around each input, searched by projected gradient ascent on the cross-entropy. */
export interface PgdOptions {
  /** Radius of the ball, in feature units (0.1 on [0,1] pixels is the usual MNIST budget). */
  epsilon: number
  /** Ascent steps; default 10. */
  steps?: number
  /** Step length; default 2.5 · epsilon / steps (Madry et al.). */
  stepSize?: number
  /** Range every feature stays in, e.g. [0, 1] for pixels; default unbounded. */
  bounds?: readonly [number, number]
  /** Start from a random point of the ball (default) or from the input itself. */
  randomStart?: boolean
}

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
  row: Float32Array | Float64Array,
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

/**
 * Moves `adversarial` (initialised by the caller) to a high-loss point of the L∞ ball around `input`: signed
 * gradient steps of the cross-entropy, each projected back onto the ball and the feature bounds.
 */
function ascend(
  input: Float32Array,
  label: number,
  adversarial: Float64Array,
  weights: Float64Array,
  bias: Float64Array,
  classCount: number,
  options: Required<Omit<PgdOptions, 'randomStart'>>,
  probabilities: Float64Array,
) {
  const [low, high] = options.bounds
  for (let step = 0; step < options.steps; step++) {
    forward(adversarial, weights, bias, classCount, probabilities)
    probabilities[label] -= 1
    for (let j = 0; j < input.length; j++) {
      const offset = j * classCount
      let gradient = 0
      for (let c = 0; c < classCount; c++) gradient += weights[offset + c] * probabilities[c]
      const moved = adversarial[j] + options.stepSize * Math.sign(gradient)
      const clipped = Math.min(Math.max(moved, input[j] - options.epsilon), input[j] + options.epsilon)
      adversarial[j] = Math.min(Math.max(clipped, low), high)
    }
  }
}

function resolvePgd(options: PgdOptions) {
  const steps = options.steps ?? 10
  return {
    epsilon: options.epsilon,
    steps,
    stepSize: options.stepSize ?? (2.5 * options.epsilon) / steps,
    bounds: options.bounds ?? ([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY] as const),
  }
}

/** Writes the starting point of PGD for `input`: itself, or a uniform point of the ball within the bounds. */
function startPoint(input: Float32Array, out: Float64Array, pgd: ReturnType<typeof resolvePgd>, rng?: Rng) {
  const [low, high] = pgd.bounds
  for (let j = 0; j < input.length; j++) {
    const start = rng ? input[j] + (2 * rng.next() - 1) * pgd.epsilon : input[j]
    out[j] = Math.min(Math.max(start, low), high)
  }
}

/**
 * The projected-gradient-descent attack on a logistic model: for every row the point of the L∞ ball (within the
 * bounds) that PGD finds with the highest cross-entropy for its label.
 * @see Madry et al. (2018), Towards deep learning models resistant to adversarial attacks, ICLR.
 */
export function pgdAttack(
  model: LogisticModel,
  x: FeatureMatrix,
  labels: Int32Array,
  options: PgdOptions,
  rng: Rng = createRng(1),
): FeatureMatrix {
  const pgd = resolvePgd(options)
  const weights = Float64Array.from(model.weights)
  const bias = Float64Array.from(model.bias)
  const probabilities = new Float64Array(model.classCount)
  const row = new Float64Array(x.cols)
  const out = new Float32Array(x.data.length)
  for (let r = 0; r < x.rows; r++) {
    const input = x.data.subarray(r * x.cols, (r + 1) * x.cols)
    startPoint(input, row, pgd, options.randomStart === false ? undefined : rng)
    ascend(input, labels[r], row, weights, bias, model.classCount, pgd, probabilities)
    out.set(row, r * x.cols)
  }
  return { data: out, rows: x.rows, cols: x.cols }
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
  const pgd = options.adversarial ? resolvePgd(options.adversarial) : undefined
  const weights = new Float64Array(cols * classCount)
  const bias = new Float64Array(classCount)
  const velocity = new Float64Array(weights.length + classCount)
  const gradient = new Float64Array(weights.length + classCount)
  const probabilities = new Float64Array(classCount)
  const row = new Float64Array(cols)
  const totalBatches = epochs * Math.ceil(x.rows / batchSize)
  let batch = 0
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffledIndices(x.rows, rng)
    for (let start = 0; start < order.length; start += batchSize, batch++) {
      gradient.fill(0)
      const end = Math.min(start + batchSize, order.length)
      for (let position = start; position < end; position++) {
        const index = order[position]
        const input = x.data.subarray(index * cols, (index + 1) * cols)
        const label = labels[index]
        if (pgd) {
          startPoint(input, row, pgd, options.adversarial?.randomStart === false ? undefined : rng)
          ascend(input, label, row, weights, bias, classCount, pgd, probabilities)
        } else row.set(input)
        forward(row, weights, bias, classCount, probabilities)
        const damping = exponent > 0 ? probabilities[label] ** exponent : 1
        probabilities[label] -= 1
        for (let c = 0; c < classCount; c++) probabilities[c] *= damping / (end - start)
        for (let j = 0; j < cols; j++) {
          const value = row[j]
          if (value === 0) continue
          const offset = j * classCount
          for (let c = 0; c < classCount; c++) gradient[offset + c] += value * probabilities[c]
        }
        for (let c = 0; c < classCount; c++) gradient[weights.length + c] += probabilities[c]
      }
      const step = (options.learningRate ?? 0.1) * (1 - (0.9 * batch) / totalBatches)
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
