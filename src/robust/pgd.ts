import type { FeatureMatrix } from '../data/matrix.js'
import { type DenseNetwork, inputGradient } from '../models/dense-network.js'
import { createRng, type Rng } from '../util/rng.js'

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

/**
 * The projected-gradient-descent attack: for every row, the point of the L∞ ball (within the bounds) that signed
 * gradient ascent on the cross-entropy of its label reaches. Works on any built-in network (logreg, MLP).
 * @see Madry et al. (2018), Towards deep learning models resistant to adversarial attacks, ICLR.
 */
export function pgdAttack(
  network: DenseNetwork,
  x: FeatureMatrix,
  labels: Int32Array,
  options: PgdOptions,
  rng: Rng = createRng(1),
): FeatureMatrix {
  const { epsilon } = options
  const steps = options.steps ?? 10
  const stepSize = options.stepSize ?? (2.5 * epsilon) / steps
  const [low, high] = options.bounds ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]
  const input = x.data
  const project = (value: number, index: number) =>
    Math.min(Math.max(Math.min(Math.max(value, input[index] - epsilon), input[index] + epsilon), low), high)
  const data = Float32Array.from(input, (value, index) =>
    options.randomStart === false ? value : project(value + (2 * rng.next() - 1) * epsilon, index),
  )
  const adversarial = { data, rows: x.rows, cols: x.cols }
  for (let step = 0; step < steps; step++) {
    const { gradient } = inputGradient(network, adversarial, labels)
    for (let index = 0; index < data.length; index++) {
      data[index] = project(data[index] + stepSize * Math.sign(gradient[index]), index)
    }
  }
  return adversarial
}
