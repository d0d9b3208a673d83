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

/**
 * Label transition chances `P(given g | true t)` (`g × classCount + t`) from confident learning's joint
 * `Q[given][true]`, each true class's column normalised, with a floor so no transition is impossible.
 */
export function labelTransitions(joint: Float64Array, classCount: number): Float64Array {
  const transitions = new Float64Array(classCount * classCount)
  const floor = minimumNoise / Math.max(1, classCount - 1)
  for (let truth = 0; truth < classCount; truth++) {
    let total = 0
    for (let given = 0; given < classCount; given++) total += joint[given * classCount + truth]
    for (let given = 0; given < classCount; given++) {
      const share = total > 0 ? joint[given * classCount + truth] / total : given === truth ? 1 : 0
      transitions[given * classCount + truth] =
        given === truth ? Math.min(share, 1 - minimumNoise) : Math.max(share, floor)
    }
  }
  return transitions
}

/** Label noise below this is not told apart from none. */
const minimumNoise = 1e-3

/**
 * Each labelled record's chance of its own label under the tempered model and under its neighbours' labels, and
 * the chance noise gives that label to a record of another class: the transitions into it from the classes the
 * model thinks the record may truly be, weighted by how much it thinks so.
 */
function labelViews(
  probabilities: FeatureMatrix,
  graph: NeighbourGraph,
  codes: Int32Array,
  transitions: Float64Array,
) {
  const classCount = probabilities.cols
  const inverse = 1 / fitTemperature(probabilities, codes)
  const row = new Float64Array(classCount)
  const model = new Float64Array(codes.length)
  const neighbours = new Float64Array(codes.length)
  const into = new Float64Array(codes.length)
  for (let index = 0; index < codes.length; index++) {
    const label = codes[index]
    if (label < 0) continue
    temperedRow(probabilities, index, inverse, row)
    model[index] = row[label]
    let weighted = 0
    let others = 0
    for (let truth = 0; truth < classCount; truth++) {
      if (truth === label) continue
      weighted += row[truth] * transitions[label * classCount + truth]
      others += row[truth]
    }
    into[index] =
      others > 0 ? weighted / others : transitions[label * classCount + ((label + 1) % classCount)]
    // One pseudo-neighbour drawn from the noise: ten neighbours of other labels leave a label as rare as noise.
    const share = neighbourShare(graph, codes, index, label)
    neighbours[index] = (share.agreeing + into[index]) / (share.total + 1)
  }
  return { model, neighbours, into }
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
 * Each labelled record's chance that its label is wrong, by Bayes' rule under the label noise confident learning
 * estimates on the data (`transitions`, see `labelTransitions`): the chance of seeing its label (read from the
 * calibrated model and its neighbours' labels, both of which already include the noise, weighted by how much each
 * knows) against the chance a correct label has. A label the data give only as often as noise does is almost surely
 * wrong, a targeted flip included (its noise runs into one class); the label of a genuinely ambiguous record is not.
 * @see Northcutt, Jiang, Chuang. Confident Learning: Estimating Uncertainty in Dataset Labels. JAIR 70, 2021.
 */
export function wrongLabelChances(
  probabilities: FeatureMatrix,
  graph: NeighbourGraph,
  codes: Int32Array,
  transitions: Float64Array,
): Float64Array {
  const classCount = probabilities.cols
  const { model, neighbours, into } = labelViews(probabilities, graph, codes, transitions)
  const [modelWeight, neighbourWeight] = viewWeights([model, neighbours], codes, classCount)
  const chances = new Float64Array(codes.length)
  for (let index = 0; index < codes.length; index++) {
    const label = codes[index]
    if (label < 0) continue
    const seen = Math.exp(
      modelWeight * Math.log(Math.max(model[index], floor)) +
        neighbourWeight * Math.log(Math.max(neighbours[index], floor)),
    )
    const stay = transitions[label * classCount + label]
    const correct = Math.max(0, seen - into[index]) / Math.max(stay - into[index], floor)
    chances[index] = Math.min(1, Math.max(0, 1 - (correct * stay) / seen))
  }
  return chances
}
