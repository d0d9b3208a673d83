import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'

/** Log-temperatures searched: enough to soften an over-confident model or sharpen a timid one. */
const logTemperatureRange = { low: -1.5, high: 1.5 }
/** Golden-section steps: the negative log-likelihood is unimodal in the log-temperature. */
const searchSteps = 24
/** Probabilities are floored here before powers are taken, so a model's exact zeros stay finite. */
const floor = 1e-12

function temperedRow(probabilities: FeatureMatrix, row: number, inverse: number, out: Float64Array): void {
  const classCount = probabilities.cols
  let total = 0
  for (let label = 0; label < classCount; label++) {
    out[label] = Math.max(probabilities.data[row * classCount + label], floor) ** inverse
    total += out[label]
  }
  for (let label = 0; label < classCount; label++) out[label] /= total
}

/**
 * The temperature that makes out-of-fold probabilities most likely for the observed labels (temperature scaling),
 * so their tails say how often the scanned data really holds such labels.
 * @see Guo, Pleiss, Sun, Weinberger. On Calibration of Modern Neural Networks. ICML 2017.
 */
export function fitTemperature(probabilities: FeatureMatrix, codes: Int32Array): number {
  const row = new Float64Array(probabilities.cols)
  const loss = (logTemperature: number) => {
    const inverse = Math.exp(-logTemperature)
    let total = 0
    for (let index = 0; index < codes.length; index++) {
      if (codes[index] < 0) continue
      temperedRow(probabilities, index, inverse, row)
      total -= Math.log(row[codes[index]])
    }
    return total
  }
  const ratio = (Math.sqrt(5) - 1) / 2
  let { low, high } = logTemperatureRange
  let left = high - ratio * (high - low)
  let right = low + ratio * (high - low)
  let leftLoss = loss(left)
  let rightLoss = loss(right)
  for (let step = 0; step < searchSteps; step++) {
    if (leftLoss <= rightLoss) {
      high = right
      right = left
      rightLoss = leftLoss
      left = high - ratio * (high - low)
      leftLoss = loss(left)
    } else {
      low = left
      left = right
      leftLoss = rightLoss
      right = low + ratio * (high - low)
      rightLoss = loss(right)
    }
  }
  return Math.exp((low + high) / 2)
}

/** Distance-weighted weight of a record's labelled neighbours, in all and with `label`. */
function neighbourShare(graph: NeighbourGraph, codes: Int32Array, row: number, label: number) {
  const { k, indices, distances } = graph
  const radius = distances[row * k + k - 1] || 1
  let total = 0
  let agreeing = 0
  for (let position = 0; position < k; position++) {
    const neighbour = codes[indices[row * k + position]]
    if (neighbour < 0) continue
    const weight = 1 / (1 + distances[row * k + position] / radius)
    total += weight
    if (neighbour === label) agreeing += weight
  }
  return { agreeing, total }
}

/** Each labelled record's chance of its own label under the tempered model and under its neighbours' labels. */
function labelViews(
  probabilities: FeatureMatrix,
  graph: NeighbourGraph,
  codes: Int32Array,
  intoEach: number,
) {
  const classCount = probabilities.cols
  const inverse = 1 / fitTemperature(probabilities, codes)
  const row = new Float64Array(classCount)
  const model = new Float64Array(codes.length)
  const neighbours = new Float64Array(codes.length)
  for (let index = 0; index < codes.length; index++) {
    const label = codes[index]
    if (label < 0) continue
    temperedRow(probabilities, index, inverse, row)
    model[index] = row[label]
    // One pseudo-neighbour drawn from the noise: ten neighbours of other labels leave a label as rare as noise.
    const share = neighbourShare(graph, codes, index, label)
    neighbours[index] = (share.agreeing + intoEach) / (share.total + 1)
  }
  return { model, neighbours }
}

/**
 * How much each view is to be believed: its mean log-likelihood of the observed labels beyond what the label
 * shares alone give, as weights summing to 1 (the model of a text corpus may know far more than its neighbours).
 */
function viewWeights(views: readonly Float64Array[], codes: Int32Array, classCount: number): number[] {
  const shares = new Float64Array(classCount)
  let labelled = 0
  for (const code of codes) {
    if (code < 0) continue
    shares[code]++
    labelled++
  }
  const gains = views.map((view) => {
    let gain = 0
    codes.forEach((code, index) => {
      if (code >= 0) gain += Math.log(Math.max(view[index], floor) / (shares[code] / labelled))
    })
    return Math.max(gain, 0)
  })
  const total = gains.reduce((sum, gain) => sum + gain, 0)
  return total > 0 ? gains.map((gain) => gain / total) : views.map(() => 1 / views.length)
}

/**
 * Each labelled record's chance that its label is wrong, by Bayes' rule under label noise at `noiseRate` spread
 * evenly over the other classes: the chance of seeing its label (read from the calibrated model and its
 * neighbours' labels, both of which already include the noise, weighted by how much each knows) against the
 * chance a correct label has. A label the data give only as often as noise does is almost surely wrong; the label
 * of a genuinely ambiguous record is not.
 * @see Northcutt, Jiang, Chuang. Confident Learning: Estimating Uncertainty in Dataset Labels. JAIR 70, 2021.
 */
export function wrongLabelChances(
  probabilities: FeatureMatrix,
  graph: NeighbourGraph,
  codes: Int32Array,
  noiseRate: number,
): Float64Array {
  const classCount = probabilities.cols
  const noise = Math.min(0.5, Math.max(1e-3, noiseRate))
  const intoEach = noise / (classCount - 1)
  const { model, neighbours } = labelViews(probabilities, graph, codes, intoEach)
  const [modelWeight, neighbourWeight] = viewWeights([model, neighbours], codes, classCount)
  const chances = new Float64Array(codes.length)
  for (let index = 0; index < codes.length; index++) {
    if (codes[index] < 0) continue
    const seen = Math.exp(
      modelWeight * Math.log(Math.max(model[index], floor)) +
        neighbourWeight * Math.log(Math.max(neighbours[index], floor)),
    )
    const correct = Math.max(0, seen - intoEach) / (1 - noise - intoEach)
    chances[index] = Math.min(1, Math.max(0, 1 - (correct * (1 - noise)) / seen))
  }
  return chances
}
