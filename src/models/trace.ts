import type { FeatureMatrix } from '../data/matrix.js'
import { type DenseNetwork, forwardNetwork, networkShape } from './dense-network.js'

/** Training records and the inputs whose predictions are to be explained, in the model's input space. */
export interface TraceInput {
  readonly trainX: FeatureMatrix
  /** Class index of each training record (-1: unlabelled, never ranked first). */
  readonly trainLabels: Int32Array
  readonly inputsX: FeatureMatrix
  /** The predicted class of each input: the predictions being explained. */
  readonly inputPredictions: Int32Array
  /** Probabilities of the training records and the inputs, for the gradient term (built-in networks). */
  readonly network?: DenseNetwork
}

/** Per training record: responsibility for the given predictions (higher = more responsible). */
export interface TraceScores {
  readonly score: Float64Array
  /** Cosine similarity of the record's representation with the inputs predicted as its label. */
  readonly representation: Float64Array
  /** TracIn-style last-layer gradient agreement, reported beside the ranking; zeros without a network. */
  readonly gradient: Float64Array
  /** 1 for the records of the cluster the binary-split search holds responsible (Poison Forensics), else 0. */
  readonly cluster: Uint8Array
}

/** Rows minus `center`, scaled to unit length. */
function unitRows(matrix: FeatureMatrix, center: Float64Array): Float32Array {
  const out = Float32Array.from(matrix.data, (value, i) => value - center[i % matrix.cols])
  for (let row = 0; row < matrix.rows; row++) {
    const part = out.subarray(row * matrix.cols, (row + 1) * matrix.cols)
    const norm = Math.hypot(...part) || 1
    for (let j = 0; j < part.length; j++) part[j] /= norm
  }
  return out
}

/** Rank of each value scaled to [0,1] (ties share the lower rank): puts the two terms on one scale. */
function rankScale(values: Float64Array): Float64Array {
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b])
  const out = new Float64Array(values.length)
  order.forEach((index, rank) => {
    out[index] =
      rank > 0 && values[order[rank - 1]] === values[index]
        ? out[order[rank - 1]]
        : rank / Math.max(1, values.length - 1)
  })
  return out
}

/** Mean unit representation of the inputs predicted as each class (classCount × cols). */
function classCentroids(h: Float32Array, cols: number, predictions: Int32Array, classCount: number) {
  const centroids = new Float64Array(classCount * cols)
  for (let row = 0; row < predictions.length; row++)
    for (let j = 0; j < cols; j++)
      centroids[predictions[row] * cols + j] += h[row * cols + j] / predictions.length
  return centroids
}

/**
 * TracIn at the last layer summed over the inputs: `Σ_b (p_r − y_r)·(p_b − ŷ_b) · (h_r·h_b + 1)`, computed as
 * `δ_r · (M h_r + s)` with `M = Σ_b δ_b h_bᵀ` so the cost is linear in records and inputs.
 */
function gradientAgreement(network: DenseNetwork, input: TraceInput): Float64Array {
  const { classCount } = networkShape(network)
  const train = forwardNetwork(network, input.trainX)
  const bad = forwardNetwork(network, input.inputsX)
  const hidden = network.layers.at(-1)!.inCols
  const [hTrain, pTrain] = [train.at(-2)!, train.at(-1)!]
  const [hBad, pBad] = [bad.at(-2)!, bad.at(-1)!]
  const m = new Float64Array(classCount * (hidden + 1))
  for (let b = 0; b < input.inputsX.rows; b++) {
    for (let c = 0; c < classCount; c++) {
      const delta = pBad[b * classCount + c] - (input.inputPredictions[b] === c ? 1 : 0)
      for (let j = 0; j < hidden; j++) m[c * (hidden + 1) + j] += delta * hBad[b * hidden + j]
      m[c * (hidden + 1) + hidden] += delta
    }
  }
  return Float64Array.from({ length: input.trainX.rows }, (_, r) => {
    const label = input.trainLabels[r]
    if (label < 0) return 0
    let sum = 0
    for (let c = 0; c < classCount; c++) {
      const delta = pTrain[r * classCount + c] - (label === c ? 1 : 0)
      let projected = m[c * (hidden + 1) + hidden]
      for (let j = 0; j < hidden; j++) projected += m[c * (hidden + 1) + j] * hTrain[r * hidden + j]
      sum += delta * projected
    }
    return sum
  })
}

/**
 * Ranks training records by responsibility for the given predictions: closeness in the model's representation
 * (centred on the training mean) to the inputs predicted as the record's label, after Poison Forensics'
 * observation that poison and the attacked inputs share a representation. Built-in networks also get TracIn-style
 * last-layer gradient agreement per record.
 * @see Pruthi, Liu, Kale, Sundararajan. Estimating Training Data Influence by Tracing Gradient Descent. NeurIPS 2020.
 * @see Shan, Bhagoji, Zheng, Zhao. Poison Forensics: Traceback of Data Poisoning Attacks in Neural Networks. USENIX Security 2022.
 */
export function traceResponsibleRecords(input: TraceInput): TraceScores {
  const { network } = input
  const represent = (x: FeatureMatrix): FeatureMatrix =>
    network
      ? { data: forwardNetwork(network, x).at(-2)!, rows: x.rows, cols: network.layers.at(-1)!.inCols }
      : x
  const trainH = represent(input.trainX)
  const badH = represent(input.inputsX)
  const classCount = Math.max(...input.inputPredictions, ...input.trainLabels) + 1
  // Centred on the training mean, what the inputs share beyond looking like data (a trigger) dominates the cosine.
  const center = new Float64Array(trainH.cols)
  for (let i = 0; i < trainH.data.length; i++) center[i % trainH.cols] += trainH.data[i] / trainH.rows
  const centroids = classCentroids(unitRows(badH, center), badH.cols, input.inputPredictions, classCount)
  const trainUnit = unitRows(trainH, center)
  const representation = Float64Array.from({ length: trainH.rows }, (_, r) => {
    const label = input.trainLabels[r]
    if (label < 0) return -1
    let dot = 0
    for (let j = 0; j < trainH.cols; j++)
      dot += trainUnit[r * trainH.cols + j] * centroids[label * trainH.cols + j]
    return dot
  })
  const gradient = network ? gradientAgreement(network, input) : new Float64Array(trainH.rows)
  const cluster = responsibleCluster(trainUnit, trainH.cols, input, centroids, classCount)
  // The ranking is the representation term: on MNIST backdoors it puts 0.92 poison in the top 50 where the
  // last-layer gradient term reaches 0.16 (the model is confident on triggered inputs, so their gradients vanish)
  // and the cluster holds 0.86 poison but only half of it; both are reported beside the ranking.
  return { score: rankScale(representation), representation, gradient, cluster }
}

// The binary split stops before the kept cluster falls under this size (the length of a list a person reviews), or
// when the closer half is no closer to the inputs than its parent.
const MIN_CLUSTER = 50
const KMEANS_ROUNDS = 10

function cosineTo(unit: Float32Array, cols: number, rows: readonly number[], direction: Float64Array) {
  const norm = Math.hypot(...direction) || 1
  let sum = 0
  for (const r of rows) for (let j = 0; j < cols; j++) sum += (unit[r * cols + j] * direction[j]) / norm
  return sum / Math.max(rows.length, 1)
}

/** Two-means of the rows, seeded with the rows most and least aligned with `direction`. */
function splitInTwo(unit: Float32Array, cols: number, rows: readonly number[], direction: Float64Array) {
  const along = rows.map((r) => cosineTo(unit, cols, [r], direction))
  const seeds = [along.indexOf(Math.max(...along)), along.indexOf(Math.min(...along))]
  const centers = seeds.map((index) =>
    Float64Array.from(unit.subarray(rows[index] * cols, (rows[index] + 1) * cols)),
  )
  let halves: number[][] = [[], []]
  for (let round = 0; round < KMEANS_ROUNDS; round++) {
    halves = [[], []]
    for (const r of rows) {
      const distance = centers.map((center) => {
        let d = 0
        for (let j = 0; j < cols; j++) d += (unit[r * cols + j] - center[j]) ** 2
        return d
      })
      halves[distance[0] <= distance[1] ? 0 : 1].push(r)
    }
    halves.forEach((half, k) => {
      centers[k].fill(0)
      for (const r of half) for (let j = 0; j < cols; j++) centers[k][j] += unit[r * cols + j] / half.length
    })
  }
  return halves
}

/**
 * Poison Forensics' search, with closeness to the inputs standing in for its unlearning test: the training records
 * of the label most inputs are predicted as (the attack's target) are split in two by their representation, the
 * half closer to those inputs is kept and the other pruned as benign, until a split no longer brings the kept
 * records closer or would leave fewer than `MIN_CLUSTER`.
 * @see Shan, Bhagoji, Zheng, Zhao. Poison Forensics: Traceback of Data Poisoning Attacks in Neural Networks. USENIX Security 2022.
 */
function responsibleCluster(
  unit: Float32Array,
  cols: number,
  input: TraceInput,
  centroids: Float64Array,
  classCount: number,
): Uint8Array {
  const cluster = new Uint8Array(input.trainLabels.length)
  const votes = new Int32Array(classCount)
  for (const label of input.inputPredictions) votes[label]++
  const label = votes.indexOf(Math.max(...votes))
  const direction = centroids.subarray(label * cols, (label + 1) * cols)
  const ofLabel = Array.from(input.trainLabels.keys()).filter((r) => input.trainLabels[r] === label)
  let kept = ofLabel
  let closeness = cosineTo(unit, cols, kept, direction)
  while (kept.length > MIN_CLUSTER) {
    const halves = splitInTwo(unit, cols, kept, direction).filter((half) => half.length > 0)
    if (halves.length < 2) break
    const [near] = halves.sort(
      (a, b) => cosineTo(unit, cols, b, direction) - cosineTo(unit, cols, a, direction),
    )
    const nearCloseness = cosineTo(unit, cols, near, direction)
    if (nearCloseness <= closeness || near.length < MIN_CLUSTER) break
    kept = near
    closeness = nearCloseness
  }
  if (kept.length < ofLabel.length) for (const r of kept) cluster[r] = 1
  return cluster
}
