import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { minimizeLbfgs } from '../../models/lbfgs.js'

/** Probabilities are floored here before logarithms are taken, so a model's exact zeros stay finite. */
const floor = 1e-12
/** The fit of two weights converges in a few dozen steps; this only bounds a pathological input. */
const maxFitIterations = 100

/**
 * Scale of the Gaussian prior on each view's exponent times the spread of its log-probabilities across classes (the
 * view's input standardised, as weakly informative priors on logistic coefficients are placed): log-odds of 10 nats
 * are already probabilities beyond 0.9999, and an exponent pushed to twice that costs more than the 1.92 nats chance
 * gives one fitted number.
 * @see Gelman, Jakulin, Pittau, Su. A weakly informative default prior distribution for logistic and other
 * regression models. Annals of Applied Statistics 2(4), 2008.
 */
const weightPriorScale = 10

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

/** The two views of the labels, as log-probabilities (rows × classes, row-major). */
interface LogViews {
  readonly model: Float64Array
  readonly neighbours: Float64Array
}

/** Softmax of `modelWeight · log model + neighbourWeight · log neighbours` for the row at `offset` into `out`. */
function mixRow(
  views: LogViews,
  modelWeight: number,
  neighbourWeight: number,
  offset: number,
  out: Float64Array,
) {
  const { model, neighbours } = views
  const classCount = out.length
  let largest = Number.NEGATIVE_INFINITY
  for (let label = 0; label < classCount; label++) {
    const logit = modelWeight * model[offset + label] + neighbourWeight * neighbours[offset + label]
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

/** P(given | true) (classCount², row = given), each column of a joint of given and true labels normalised. */
export function givenLabelRates(joint: Float64Array, classCount: number): Float64Array {
  const trueTotals = new Float64Array(classCount)
  for (let given = 0; given < classCount; given++)
    for (let truth = 0; truth < classCount; truth++) trueTotals[truth] += joint[given * classCount + truth]
  return joint.map((value, cell) => {
    const total = trueTotals[cell % classCount]
    return total > 0 ? value / total : 0
  })
}

/** Root mean square over the labelled records of a view's log-probabilities about their mean across classes. */
function logSpread(log: Float64Array, codes: Int32Array, classCount: number): number {
  let total = 0
  let labelled = 0
  codes.forEach((code, row) => {
    if (code < 0) return
    labelled++
    let mean = 0
    for (let label = 0; label < classCount; label++) mean += log[row * classCount + label]
    mean /= classCount
    for (let label = 0; label < classCount; label++)
      total += (log[row * classCount + label] - mean) ** 2 / classCount
  })
  return Math.sqrt(total / Math.max(labelled, 1))
}

/**
 * The exponents that make the observed labels most likely when the clean class probabilities are
 * `softmax(Σ weight · log view)` and the labels pass through the noise of `rates` (P(given | true)): temperature
 * scaling and stacking in one fit, so a view weighs as much as it knows about the labels of this data (a text
 * model may know far more than its neighbours, neighbours of low-resolution digits more than a linear model),
 * while the noise the views already carry is left to the noise model instead of flattening the clean probabilities.
 * Where the features barely tell the labels, the noise estimated from a view explains every disagreement with its
 * likeliest class, and the likelihood keeps rising as the exponents grow (scikit-learn's diabetes table cut in thirds,
 * 10% flips, seed 1: 2,768 and 3,972 on kernel features, every doubted label given 0%): a weakly informative prior bounds them.
 * @see Guo, Pleiss, Sun, Weinberger. On Calibration of Modern Neural Networks. ICML 2017.
 * @see Goldberger, Ben-Reuven. Training deep neural-networks using a noise adaptation layer. ICLR 2017.
 */
function fitViewWeights(
  views: LogViews,
  codes: Int32Array,
  classCount: number,
  rates: Float64Array,
): { weights: Float64Array; loss: number } {
  const { model, neighbours } = views
  const mixed = new Float64Array(classCount)
  /** P(given | true) · q_true of the row at hand, read by its likelihood and by both views' derivatives. */
  const flows = new Float64Array(classCount)
  const precisions = [model, neighbours].map(
    (log) => (logSpread(log, codes, classCount) / weightPriorScale) ** 2,
  )
  const objective = (weights: Float64Array, gradient: Float64Array) => {
    let loss = 0
    let labelled = 0
    let modelGradient = 0
    let neighbourGradient = 0
    for (let row = 0; row < codes.length; row++) {
      const code = codes[row]
      if (code < 0) continue
      labelled++
      const offset = row * classCount
      mixRow(views, weights[0], weights[1], offset, mixed)
      let seen = 0
      for (let truth = 0; truth < classCount; truth++) {
        flows[truth] = rates[code * classCount + truth] * mixed[truth]
        seen += flows[truth]
      }
      seen = Math.max(seen, floor)
      loss -= Math.log(seen)
      // d(−log seen)/d(weight) = −Σ_true P(given | true) · q_true · (log view[true] − E_q[log view]) / seen
      let modelExpected = 0
      let neighbourExpected = 0
      for (let label = 0; label < classCount; label++) {
        modelExpected += mixed[label] * model[offset + label]
        neighbourExpected += mixed[label] * neighbours[offset + label]
      }
      let modelDerivative = 0
      let neighbourDerivative = 0
      for (let truth = 0; truth < classCount; truth++) {
        modelDerivative += flows[truth] * (model[offset + truth] - modelExpected)
        neighbourDerivative += flows[truth] * (neighbours[offset + truth] - neighbourExpected)
      }
      modelGradient -= modelDerivative / seen
      neighbourGradient -= neighbourDerivative / seen
    }
    gradient[0] = modelGradient
    gradient[1] = neighbourGradient
    for (let view = 0; view < 2; view++) {
      loss += (precisions[view] * weights[view] * weights[view]) / 2
      gradient[view] = (gradient[view] + precisions[view] * weights[view]) / Math.max(labelled, 1)
    }
    return loss / Math.max(labelled, 1)
  }
  const { point } = minimizeLbfgs(objective, Float64Array.of(1, 0), {
    maxIterations: maxFitIterations,
    tolerance: 1e-9,
  })
  // A view that only misleads is left out rather than turned upside down.
  const weights = point.map((weight) => Math.max(weight, 0))
  return { weights, loss: objective(weights, new Float64Array(2)) }
}

/** The logarithm of each value, floored first so exact zeros stay finite. */
function flooredLogs(values: ArrayLike<number>): Float64Array {
  const logs = new Float64Array(values.length)
  for (let index = 0; index < values.length; index++) logs[index] = Math.log(Math.max(values[index], floor))
  return logs
}

/**
 * Each record's clean class probabilities read from two views, the model's out-of-fold probabilities and its
 * neighbours' labels, combined as a product of experts whose exponents are fitted to the scanned data's own labels
 * under the label noise of `joint` (given × true labels, as confident learning estimates it). `loss` is the mean
 * negative log-likelihood of the observed labels under the fit with the exponents' prior, by which two models' mixes
 * compare: a model cannot win by growing sure where the likelihood rises without bound.
 */
export function mixLabelViews(
  probabilities: FeatureMatrix,
  graph: NeighbourGraph,
  codes: Int32Array,
  joint: Float64Array,
): { mixed: FeatureMatrix; weights: ViewWeights; loss: number } {
  const classCount = probabilities.cols
  // Floored as the model is: a class no record holds (a label column whose classes were declared apart from its
  // records) gets no vote, and its −∞ would make every mix NaN, even at the neighbours' weight 0.
  const views = {
    model: flooredLogs(probabilities.data),
    neighbours: flooredLogs(neighbourDistributions(graph, codes, classCount)),
  }
  const { weights, loss } = fitViewWeights(views, codes, classCount, givenLabelRates(joint, classCount))
  const data = new Float32Array(probabilities.data.length)
  const row = new Float64Array(classCount)
  for (let index = 0; index < codes.length; index++) {
    mixRow(views, weights[0], weights[1], index * classCount, row)
    data.set(row, index * classCount)
  }
  return {
    mixed: { data, rows: probabilities.rows, cols: classCount },
    weights: { model: weights[0], neighbours: weights[1] },
    loss,
  }
}

/** Log-temperatures searched: enough to soften an over-confident model or sharpen a timid one. */
const logTemperatureRange = { low: -1.5, high: 1.5 }
/** Golden-section steps: the negative log-likelihood is unimodal in the log-temperature. */
const searchSteps = 24

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
  const classCount = probabilities.cols
  // The loss is taken in log space, −log(p_label^(1/T) / Σ p^(1/T)) = log Σ exp(log p / T) − log p_label / T, with
  // the logarithms taken once: an `exp` per probability and step instead of a power (MNIST: 0.45 of label-issues'
  // 0.55 CPU s went to the powers). The search reads the losses only through comparisons, so the temperature it
  // returns is the power form's unless two losses tie to within rounding.
  const logs = flooredLogs(probabilities.data)
  const loss = (logTemperature: number) => {
    const inverse = Math.exp(-logTemperature)
    let total = 0
    for (let index = 0; index < codes.length; index++) {
      const code = codes[index]
      if (code < 0) continue
      const offset = index * classCount
      let sum = 0
      for (let label = 0; label < classCount; label++) sum += Math.exp(logs[offset + label] * inverse)
      total += Math.log(sum) - logs[offset + code] * inverse
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

/** Each class's share of the labelled records. */
function labelShares(codes: Int32Array, classCount: number): Float64Array {
  const shares = new Float64Array(classCount)
  let labelled = 0
  for (const code of codes) {
    if (code < 0) continue
    shares[code]++
    labelled++
  }
  return shares.map((count) => count / Math.max(labelled, 1))
}

/**
 * The gain in log-likelihood (in nats, over all records) a view reaches by chance: a view that knows nothing of the
 * labels but has one number fitted to them (the model's temperature) gains half a χ² of one degree of freedom, at
 * most 1.92 in 95 of 100 datasets. On 20 records of three classes the tempered model gained 0.14 and, as the one
 * view with any gain, was believed wholly.
 */
const chanceGain = 1.92

/**
 * How much each view is to be believed: its mean log-likelihood of the observed labels beyond what the label
 * shares alone give, as weights summing to 1 (the model of a text corpus may know far more than its neighbours).
 * Undefined where neither view gives the labels more than their shares do beyond chance: the data then say nothing
 * about which label is wrong.
 */
function viewWeights(
  views: readonly Float64Array[],
  codes: Int32Array,
  shares: Float64Array,
): number[] | undefined {
  const gains = views.map((view) => {
    let gain = 0
    codes.forEach((code, index) => {
      if (code >= 0) gain += Math.log(Math.max(view[index], floor) / shares[code])
    })
    return gain > chanceGain ? gain : 0
  })
  const total = gains.reduce((sum, gain) => sum + gain, 0)
  return total > 0 ? gains.map((gain) => gain / total) : undefined
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
  const noise = boundedNoise(noiseRate)
  const intoEach = noise / (classCount - 1)
  const { model, neighbours } = labelViews(probabilities, graph, codes, intoEach)
  const weights = viewWeights([model, neighbours], codes, labelShares(codes, classCount))
  const chances = new Float64Array(codes.length)
  for (let index = 0; index < codes.length; index++) {
    if (codes[index] < 0) continue
    // Where no view knows the labels better than their shares (20 records whose features do not tell their label:
    // the model, tempered as far as it goes, still gave 6 of them under 15%), the data single out no label, and
    // each is wrong as often as the noise makes labels wrong.
    if (!weights) {
      chances[index] = noise
      continue
    }
    const seen = Math.exp(
      weights[0] * Math.log(Math.max(model[index], floor)) +
        weights[1] * Math.log(Math.max(neighbours[index], floor)),
    )
    const correct = Math.max(0, seen - intoEach) / (1 - noise - intoEach)
    chances[index] = Math.min(1, Math.max(0, 1 - (correct * (1 - noise)) / seen))
  }
  return chances
}

/** The noise rate a chance is read at: some noise always, never more than half the labels. */
function boundedNoise(noiseRate: number): number {
  return Math.min(0.5, Math.max(1e-3, noiseRate))
}

/**
 * Each labelled record's chance that its label is wrong by Bayes' rule when its clean class probabilities are
 * `mixed` (the views' fitted product, `mixLabelViews`) and labels are flipped at `noiseRate` evenly over the other
 * classes: a record's chance falls as the mix gives its label more, so it ranks labels as the mix does.
 */
export function wrongLabelChancesOfMix(
  mixed: FeatureMatrix,
  codes: Int32Array,
  noiseRate: number,
): Float64Array {
  const classCount = mixed.cols
  const noise = boundedNoise(noiseRate)
  const intoEach = noise / (classCount - 1)
  return Float64Array.from(codes, (code, row) => {
    if (code < 0) return 0
    const clean = mixed.data[row * classCount + code]
    const flippedIn = intoEach * (1 - clean)
    return flippedIn / Math.max((1 - noise) * clean + flippedIn, floor)
  })
}
