import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { minimizeLbfgs } from '../../models/lbfgs.js'

/** Probabilities are floored here before logarithms are taken, so a model's exact zeros stay finite. */
const floor = 1e-12
/** The fit of two weights converges in a few dozen steps; this only bounds a pathological input. */
const maxFitIterations = 100

/** How much each view of the labels is believed, as exponents of a product of experts. */
export interface ViewWeights {
  /** Exponent of the model's out-of-fold probabilities (one over a temperature when the neighbours add nothing). */
  model: number
  /** Exponent of the neighbours' label distribution. */
  neighbours: number
}

/** Each record's labelled neighbours' distance-weighted label distribution, with the class shares as one more vote. */
function neighbourDistributions(graph: NeighbourGraph, codes: Int32Array, classCount: number): Float64Array {
  const { k, indices, distances } = graph
  const shares = new Float64Array(classCount)
  let labelled = 0
  for (const code of codes) {
    if (code < 0) continue
    shares[code]++
    labelled++
  }
  for (let label = 0; label < classCount; label++) shares[label] /= Math.max(labelled, 1)
  const out = new Float64Array(codes.length * classCount)
  for (let row = 0; row < codes.length; row++) {
    const radius = distances[row * k + k - 1] || 1
    const votes = out.subarray(row * classCount, (row + 1) * classCount)
    let total = 1
    votes.set(shares)
    for (let position = 0; position < k; position++) {
      const neighbour = codes[indices[row * k + position]]
      if (neighbour < 0) continue
      const weight = 1 / (1 + distances[row * k + position] / radius)
      votes[neighbour] += weight
      total += weight
    }
    for (let label = 0; label < classCount; label++) votes[label] /= total
  }
  return out
}

/** Softmax of `weights · logs` for one row into `out`. */
function mixRow(logs: readonly Float64Array[], weights: ArrayLike<number>, row: number, out: Float64Array) {
  const classCount = out.length
  let largest = Number.NEGATIVE_INFINITY
  for (let label = 0; label < classCount; label++) {
    let logit = 0
    for (let view = 0; view < logs.length; view++)
      logit += weights[view] * logs[view][row * classCount + label]
    out[label] = logit
    if (logit > largest) largest = logit
  }
  let total = 0
  for (let label = 0; label < classCount; label++) {
    out[label] = Math.exp(out[label] - largest)
    total += out[label]
  }
  for (let label = 0; label < classCount; label++) out[label] /= total
}

/**
 * The exponents that make the observed labels most likely under `softmax(Σ weight · log view)`: temperature
 * scaling and stacking in one concave fit, so a view weighs as much as it knows about the labels of this data
 * (a text model may know far more than its neighbours, neighbours of low-resolution digits more than a linear model).
 * @see Guo, Pleiss, Sun, Weinberger. On Calibration of Modern Neural Networks. ICML 2017.
 */
function fitViewWeights(logs: readonly Float64Array[], codes: Int32Array, classCount: number): Float64Array {
  const mixed = new Float64Array(classCount)
  const objective = (weights: Float64Array, gradient: Float64Array) => {
    gradient.fill(0)
    let loss = 0
    let labelled = 0
    for (let row = 0; row < codes.length; row++) {
      const code = codes[row]
      if (code < 0) continue
      labelled++
      mixRow(logs, weights, row, mixed)
      loss -= Math.log(Math.max(mixed[code], floor))
      for (let view = 0; view < logs.length; view++) {
        let expected = 0
        for (let label = 0; label < classCount; label++)
          expected += mixed[label] * logs[view][row * classCount + label]
        gradient[view] += expected - logs[view][row * classCount + code]
      }
    }
    for (let view = 0; view < logs.length; view++) gradient[view] /= Math.max(labelled, 1)
    return loss / Math.max(labelled, 1)
  }
  const start = Float64Array.from(logs, (_, view) => (view === 0 ? 1 : 0))
  const { point } = minimizeLbfgs(objective, start, { maxIterations: maxFitIterations, tolerance: 1e-9 })
  // A view that only misleads is left out rather than turned upside down.
  return point.map((weight) => Math.max(weight, 0))
}

/**
 * Each record's class probabilities read from two views, the model's out-of-fold probabilities and its neighbours'
 * labels, combined as a product of experts whose exponents are fitted to the scanned data's own labels.
 */
export function mixLabelViews(
  probabilities: FeatureMatrix,
  graph: NeighbourGraph,
  codes: Int32Array,
): { mixed: FeatureMatrix; weights: ViewWeights } {
  const classCount = probabilities.cols
  const model = Float64Array.from(probabilities.data, (value) => Math.log(Math.max(value, floor)))
  const neighbours = neighbourDistributions(graph, codes, classCount).map((value) => Math.log(value))
  const logs = [model, neighbours]
  const weights = fitViewWeights(logs, codes, classCount)
  const data = new Float32Array(probabilities.data.length)
  const row = new Float64Array(classCount)
  for (let index = 0; index < codes.length; index++) {
    mixRow(logs, weights, index, row)
    data.set(row, index * classCount)
  }
  return {
    mixed: { data, rows: probabilities.rows, cols: classCount },
    weights: { model: weights[0], neighbours: weights[1] },
  }
}

/**
 * Each labelled record's chance that its label is wrong, by Bayes' rule under label noise at `noiseRate` spread
 * evenly over the other classes: the chance of seeing its label under the mixed views (which already include the
 * noise) against the chance a correct label has. A label the data give only as often as noise does is almost
 * surely wrong; the label of a genuinely ambiguous record is not.
 * @see Northcutt, Jiang, Chuang. Confident Learning: Estimating Uncertainty in Dataset Labels. JAIR 70, 2021.
 */
export function wrongLabelChances(mixed: FeatureMatrix, codes: Int32Array, noiseRate: number): Float64Array {
  const classCount = mixed.cols
  const noise = Math.min(0.5, Math.max(1e-3, noiseRate))
  const intoEach = noise / (classCount - 1)
  const chances = new Float64Array(codes.length)
  for (let index = 0; index < codes.length; index++) {
    if (codes[index] < 0) continue
    const seen = Math.max(mixed.data[index * classCount + codes[index]], floor)
    const correct = Math.max(0, seen - intoEach) / (1 - noise - intoEach)
    chances[index] = Math.min(1, Math.max(0, 1 - (correct * (1 - noise)) / seen))
  }
  return chances
}
