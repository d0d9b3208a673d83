import type { FeatureMatrix } from '../../data/matrix.js'

export interface ConfidentLearningResult {
  /** Per-class mean self-confidence: the threshold above which a class counts as confidently predicted. */
  thresholds: Float64Array
  /** Calibrated joint distribution Q[given][true] (classCount²), summing to 1 over labelled records. */
  jointDistribution: Float64Array
  /** 1 for records pruned as label issues. */
  flagged: Uint8Array
  /** Class the record most likely belongs to when flagged, else -1. */
  suggestedLabels: Int32Array
}

/** Per-class mean predicted probability of the class among records labelled with it (the t_j of the paper). */
export function perClassThresholds(probabilities: FeatureMatrix, labels: Int32Array): Float64Array {
  const classCount = probabilities.cols
  const sums = new Float64Array(classCount)
  const counts = new Float64Array(classCount)
  for (let row = 0; row < probabilities.rows; row++) {
    const given = labels[row]
    if (given < 0) continue
    sums[given] += probabilities.data[row * classCount + given]
    counts[given]++
  }
  return sums.map((sum, index) => (counts[index] > 0 ? sum / counts[index] : 1))
}

/**
 * The confident joint C[given][true] as counts (classCount², row-major): a record counts towards the class it is
 * predicted above threshold with the highest probability; records confident in no class are left out.
 */
export function confidentJoint(
  probabilities: FeatureMatrix,
  labels: Int32Array,
  thresholds: Float64Array,
): Float64Array {
  const classCount = probabilities.cols
  const joint = new Float64Array(classCount * classCount)
  for (let row = 0; row < probabilities.rows; row++) {
    const given = labels[row]
    if (given < 0) continue
    let best = -1
    let bestProbability = -1
    for (let label = 0; label < classCount; label++) {
      const probability = probabilities.data[row * classCount + label]
      if (probability >= thresholds[label] && probability > bestProbability) {
        best = label
        bestProbability = probability
      }
    }
    if (best >= 0) joint[given * classCount + best]++
  }
  return joint
}

/** Calibrates the confident joint so each row sums to the observed count of its given label, then normalises. */
function calibrateJoint(joint: Float64Array, labels: Int32Array, classCount: number): Float64Array {
  const labelCounts = new Float64Array(classCount)
  for (const label of labels) if (label >= 0) labelCounts[label]++
  const calibrated = new Float64Array(joint.length)
  let total = 0
  for (let given = 0; given < classCount; given++) {
    let rowSum = 0
    for (let label = 0; label < classCount; label++) rowSum += joint[given * classCount + label]
    if (rowSum === 0) {
      calibrated[given * classCount + given] = labelCounts[given]
    } else {
      for (let label = 0; label < classCount; label++) {
        calibrated[given * classCount + label] =
          (joint[given * classCount + label] / rowSum) * labelCounts[given]
      }
    }
  }
  for (const value of calibrated) total += value
  return total > 0 ? calibrated.map((value) => value / total) : calibrated
}

/**
 * Confident learning with prune-by-noise-rate: for every off-diagonal cell (given=i, true=j) of the calibrated joint,
 * flag the n·Q[i][j] records labelled i with the largest margin p(j) − p(i).
 * @see Northcutt, Jiang, Chuang. Confident Learning: Estimating Uncertainty in Dataset Labels. JAIR 70, 2021.
 */
export function findLabelIssues(probabilities: FeatureMatrix, labels: Int32Array): ConfidentLearningResult {
  const classCount = probabilities.cols
  const thresholds = perClassThresholds(probabilities, labels)
  const jointDistribution = calibrateJoint(
    confidentJoint(probabilities, labels, thresholds),
    labels,
    classCount,
  )
  let labelledCount = 0
  for (const label of labels) if (label >= 0) labelledCount++
  const flagged = new Uint8Array(probabilities.rows)
  const suggestedLabels = new Int32Array(probabilities.rows).fill(-1)
  const rowsByClass = groupRowsByClass(labels, classCount)
  for (let given = 0; given < classCount; given++) {
    for (let target = 0; target < classCount; target++) {
      if (target === given) continue
      const pruneCount = Math.round(labelledCount * jointDistribution[given * classCount + target])
      if (pruneCount === 0) continue
      for (const row of largestMargins(probabilities, rowsByClass[given], given, target, pruneCount)) {
        flagged[row] = 1
        suggestedLabels[row] = argmaxExcept(probabilities, row, given)
      }
    }
  }
  return { thresholds, jointDistribution, flagged, suggestedLabels }
}

/**
 * The `count` rows of `rows` with the largest margin p(target) − p(given), largest first, ties in the order of
 * `rows`: a stable sort of the rows by margin, its comparator reading each margin from an array rather than
 * computing two per comparison.
 */
function largestMargins(
  probabilities: FeatureMatrix,
  rows: readonly number[],
  given: number,
  target: number,
  count: number,
): number[] {
  const classCount = probabilities.cols
  const margins = new Float64Array(rows.length)
  for (let position = 0; position < rows.length; position++) {
    const offset = rows[position] * classCount
    margins[position] = probabilities.data[offset + target] - probabilities.data[offset + given]
  }
  const order = rows.map((_, position) => position).sort((a, b) => margins[b] - margins[a])
  return order.slice(0, count).map((position) => rows[position])
}

function groupRowsByClass(labels: Int32Array, classCount: number): number[][] {
  const groups = Array.from({ length: classCount }, () => [] as number[])
  labels.forEach((label, row) => {
    if (label >= 0) groups[label].push(row)
  })
  return groups
}

/** The most probable class of a record other than `excluded`. */
export function argmaxExcept(probabilities: FeatureMatrix, row: number, excluded: number): number {
  let best = -1
  for (let label = 0; label < probabilities.cols; label++) {
    if (label === excluded) continue
    if (
      best < 0 ||
      probabilities.data[row * probabilities.cols + label] >
        probabilities.data[row * probabilities.cols + best]
    ) {
      best = label
    }
  }
  return best
}
