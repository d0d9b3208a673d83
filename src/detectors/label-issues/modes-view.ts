import { type FeatureMatrix, type SparseMatrix, withUsedColumns } from '../../data/matrix.js'
import { crossValidatedProbabilities } from '../../models/cross-validation.js'
import { createRng, type Rng, shuffledIndices } from '../../util/rng.js'

/** Records a mode holds on average: a digit of 2,000 two-class digits spans a few modes of this size. */
const recordsPerMode = 50
/**
 * Modes at most: the cross-validation behind them trains a class for every label and mode a record holds. On 5,000
 * two-class digits with 10% flips 64 modes ranked them at 0.947 in 5.4 CPU s a scan, 40 at 0.944 in 4.3 s.
 */
const maximumModes = 40
/** Records the modes are placed on: Lloyd's steps cost rows × modes × columns each. */
const sampleSize = 4096
/** Lloyd's steps: the assignment of a few thousand records settles within this. */
const lloydSteps = 20

/** The modes the label model of `rowCount` records is read on. */
export function modeCountOf(rowCount: number): number {
  return Math.min(maximumModes, Math.max(2, Math.round(rowCount / recordsPerMode)))
}

function squaredDistance(geometry: FeatureMatrix, row: number, centres: Float64Array, centre: number) {
  const { cols, data } = geometry
  let sum = 0
  for (let col = 0; col < cols; col++) {
    const difference = data[row * cols + col] - centres[centre * cols + col]
    sum += difference * difference
  }
  return sum
}

function nearestCentre(geometry: FeatureMatrix, row: number, centres: Float64Array, count: number) {
  let best = 0
  let bestDistance = Number.POSITIVE_INFINITY
  for (let centre = 0; centre < count; centre++) {
    const distance = squaredDistance(geometry, row, centres, centre)
    if (distance < bestDistance) {
      best = centre
      bestDistance = distance
    }
  }
  return best
}

/**
 * Each record's mode: k-means of the geometry, placed on a sample by Lloyd's steps from sampled records and read
 * by every record, whatever its label.
 */
export function modesOf(geometry: FeatureMatrix, modeCount: number, rng: Rng): Int32Array {
  const { rows, cols } = geometry
  const sample = shuffledIndices(rows, rng).subarray(0, Math.min(rows, sampleSize))
  const count = Math.min(modeCount, sample.length)
  const centres = new Float64Array(count * cols)
  for (let centre = 0; centre < count; centre++)
    for (let col = 0; col < cols; col++)
      centres[centre * cols + col] = geometry.data[sample[centre] * cols + col]
  const members = new Float64Array(count)
  for (let step = 0; step < lloydSteps; step++) {
    const assigned = Int32Array.from(sample, (row) => nearestCentre(geometry, row, centres, count))
    centres.fill(0)
    members.fill(0)
    sample.forEach((row, position) => {
      const centre = assigned[position]
      members[centre]++
      for (let col = 0; col < cols; col++) centres[centre * cols + col] += geometry.data[row * cols + col]
    })
    // An emptied centre keeps the zero vector; it only loses records to the others.
    for (let centre = 0; centre < count; centre++)
      for (let col = 0; col < cols; col++) centres[centre * cols + col] /= Math.max(members[centre], 1)
  }
  return Int32Array.from({ length: rows }, (_, row) => nearestCentre(geometry, row, centres, count))
}

/**
 * Draws of the modes whose models' probabilities are averaged: each k-means draw parts the digits differently, and
 * one draw's partition decides which flipped records share a mode with their true class. On 2,000 two-class digits
 * with 10% flips (seeds 1–3) one draw ranked them at 0.893 / 0.913 / 0.913, three at 0.905 / 0.924 / 0.928 (other
 * draws: two 0.907 / 0.925 / 0.921, three 0.909 / 0.928 / 0.926, five no higher); each draw is one more
 * cross-validation, so data beyond `maxRowsForDraws` keep one: on 5,000 of the digits the gain fell to 0.942 →
 * 0.947 for 1.8 times the scan's CPU, and it costs more with every row.
 */
const modeDraws = 3
/** Rows up to which the extra draws are made. */
const maxRowsForDraws = 4_000

/** Out-of-fold probabilities of the linear model trained on the label and mode pairs of one draw of the modes. */
function oneDrawProbabilities(
  modelInput: FeatureMatrix | SparseMatrix,
  geometry: FeatureMatrix,
  codes: Int32Array,
  classCount: number,
  seed: number,
  into: Float32Array,
): void {
  const rowCount = codes.length
  const modeCount = modeCountOf(rowCount)
  const modes = modesOf(geometry, modeCount, createRng(seed))
  // Only the label and mode pairs records hold become classes, so the model trains no empty ones.
  const pairIndex = new Map<number, number>()
  const pairLabels: number[] = []
  const fine = Int32Array.from(codes, (code, row) => {
    const key = code * modeCount + modes[row]
    let index = pairIndex.get(key)
    if (index === undefined) {
      index = pairLabels.length
      pairIndex.set(key, index)
      pairLabels.push(code)
    }
    return index
  })
  const pairs = crossValidatedProbabilities(modelInput, fine, pairLabels.length, { rng: createRng(seed) })
  for (let row = 0; row < rowCount; row++)
    pairLabels.forEach((label, pair) => {
      into[row * classCount + label] += pairs.data[row * pairLabels.length + pair]
    })
}

/**
 * Out-of-fold class probabilities of the linear model trained on each label's modes, summed over the modes of
 * each label and averaged over draws of the modes: a class made of several modes (the digits 0–4 against 5–9) is
 * no half-space, so the model read per class gives its records little more than the class shares, while each mode
 * of it is nearly one. Modes are found without the labels, so a flipped record falls in its true neighbours' mode
 * and gets the little its given label holds there. Every record must be labelled.
 */
export function modeModelProbabilities(
  modelInput: FeatureMatrix | SparseMatrix,
  geometry: FeatureMatrix,
  codes: Int32Array,
  classCount: number,
  seed: number,
): FeatureMatrix {
  const rowCount = codes.length
  const data = new Float32Array(rowCount * classCount)
  const seeds = createRng(seed)
  // Hashed text has 2^18 columns, a few thousand of them used: with a weight for every column, label and mode, the
  // model of 1,680 passages with 80 copied ones allocated 140 MB a fit: the scan took 9.8 user and 4.0 system CPU s
  // (2.3 million page faults), 6.6 and 0.6 on the used columns alone, with the same probabilities.
  const input = 'indptr' in modelInput ? withUsedColumns(modelInput) : modelInput
  // The first draw is the seed's own, as a single draw was.
  const draws = rowCount <= maxRowsForDraws ? modeDraws : 1
  for (let draw = 0; draw < draws; draw++)
    oneDrawProbabilities(
      input,
      geometry,
      codes,
      classCount,
      draw === 0 ? seed : Math.floor(seeds.next() * 2 ** 32),
      data,
    )
  for (let index = 0; index < data.length; index++) data[index] /= draws
  return { data, rows: rowCount, cols: classCount }
}
