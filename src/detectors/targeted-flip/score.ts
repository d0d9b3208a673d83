import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { binomialUpperTail, poissonUpperTail } from '../../stats/tails.js'

/** One off-diagonal cell (given, target) of the confident joint against what random noise would put there. */
export interface CellTest {
  given: number
  /** The class the records look like. */
  target: number
  /** Records labelled `given` that the model confidently puts in `target`. */
  count: number
  /** The mirror cell: records labelled `target` confidently put in `given`. */
  mirrorCount: number
  /** Count random (class-conditional uniform) noise would give, from the mirror cell and the target's column. */
  expected: number
  /** Chance of `count` or more under random noise, Bonferroni-adjusted over all classCount·(classCount−1) cells. */
  pValue: number
}

/**
 * The confident joint (row = given label, column = true class) counting a record only where its most probable
 * class clears that class's self-confidence threshold. Confident learning counts a record towards any class whose
 * probability clears its threshold; a small class that random noise fills with other classes' records has a low
 * threshold, and its column then collects records of a large similar class that the model still prefers to call
 * by their label: a count that grows with the given class's size, not with the small class's, as the tests below
 * assume. A record the model prefers to put in another class is what a flip from that class leaves.
 */
export function preferredJoint(
  probabilities: FeatureMatrix,
  labels: Int32Array,
  thresholds: Float64Array,
): Float64Array {
  const classCount = probabilities.cols
  const joint = new Float64Array(classCount * classCount)
  labels.forEach((given, row) => {
    if (given < 0) return
    let best = 0
    for (let label = 1; label < classCount; label++)
      if (probabilities.data[row * classCount + label] > probabilities.data[row * classCount + best])
        best = label
    if (probabilities.data[row * classCount + best] >= thresholds[best]) joint[given * classCount + best]++
  })
  return joint
}

/** Column sums of a square count matrix: how many records the joint puts in each true class. */
function trueClassSizes(joint: Float64Array, classCount: number): Float64Array {
  const sizes = new Float64Array(classCount)
  for (let given = 0; given < classCount; given++) {
    for (let target = 0; target < classCount; target++) sizes[target] += joint[given * classCount + target]
  }
  return sizes
}

/**
 * Tests every off-diagonal cell of a confident joint (counts, row = given label, column = true class) against
 * class-conditional uniform noise. A cell must be over-full on two counts: against its mirror cell scaled by the
 * classes' sizes (natural confusions such as 3↔5 are roughly symmetric; a targeted flip is one-way, binomial
 * test on the pair), and against the other cells of its column (uniform noise spreads a class's errors evenly,
 * Poisson test). The p-value is the larger of the two, so both must hold.
 * @see Northcutt, Jiang, Chuang. Confident Learning: Estimating Uncertainty in Dataset Labels. JAIR 70, 2021.
 */
export function testJointCells(joint: Float64Array, classCount: number): CellTest[] {
  const sizes = trueClassSizes(joint, classCount)
  const cellCount = classCount * (classCount - 1)
  const tests: CellTest[] = []
  for (let given = 0; given < classCount; given++) {
    for (let target = 0; target < classCount; target++) {
      if (given === target) continue
      const count = joint[given * classCount + target]
      const mirrorCount = joint[target * classCount + given]
      const sizeSum = sizes[given] + sizes[target]
      const mirrorShare = sizeSum > 0 ? sizes[target] / sizeSum : 0.5
      const mirrorP = binomialUpperTail(count, count + mirrorCount, mirrorShare)
      const mirrorExpected = sizes[given] > 0 ? (mirrorCount * sizes[target]) / sizes[given] : 0
      let uniformP = 0
      let uniformExpected = 0
      if (classCount >= 3) {
        let columnErrors = 0
        for (let other = 0; other < classCount; other++) {
          if (other !== target && other !== given) columnErrors += joint[other * classCount + target]
        }
        // Half a record keeps a clean column from making any single error look impossible.
        uniformExpected = Math.max(columnErrors / (classCount - 2), 0.5)
        uniformP = poissonUpperTail(count, uniformExpected)
      }
      tests.push({
        given,
        target,
        count,
        mirrorCount,
        expected: Math.max(mirrorExpected, uniformExpected),
        pValue: Math.min(1, Math.max(mirrorP, uniformP) * cellCount),
      })
    }
  }
  return tests
}

/**
 * Evidence in [0,1] that each of `rows` (labelled `given`) really belongs to `target`: the mean of the model's
 * relative preference p(target) / (p(given) + p(target)) and the distance-weighted share of neighbours labelled
 * `target`. Both are relative to the pair, so the rest of the classes cannot dilute them.
 */
export function flipEvidence(
  probabilities: FeatureMatrix,
  graph: NeighbourGraph,
  labels: Int32Array,
  rows: Int32Array,
  given: number,
  target: number,
): Float64Array {
  const classCount = probabilities.cols
  const { k, indices, distances } = graph
  const evidence = new Float64Array(rows.length)
  for (let position = 0; position < rows.length; position++) {
    const row = rows[position]
    const givenProbability = probabilities.data[row * classCount + given]
    const targetProbability = probabilities.data[row * classCount + target]
    const pairTotal = givenProbability + targetProbability
    const model = pairTotal > 0 ? targetProbability / pairTotal : 0.5
    const radius = distances[row * k + k - 1] || 1
    let total = 0
    let agreeing = 0
    for (let slot = 0; slot < k; slot++) {
      const neighbourLabel = labels[indices[row * k + slot]]
      if (neighbourLabel < 0) continue
      const weight = 1 / (1 + distances[row * k + slot] / radius)
      total += weight
      if (neighbourLabel === target) agreeing += weight
    }
    evidence[position] = (model + (total > 0 ? agreeing / total : model)) / 2
  }
  return evidence
}
