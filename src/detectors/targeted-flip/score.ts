import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { binomialUpperTail, poissonUpperTail } from '../../stats/tails.js'
import { perClassThresholds } from '../label-issues/score.js'

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
  /**
   * `count − expected` as a share of the records the joint puts under the given label: how much of that label the
   * cell's excess makes up, a size that does not grow with the row count as the p-value's evidence does.
   */
  excessShare: number
  /**
   * `excessShare` with the cell's count lowered by `countSpreads` Poisson standard deviations: the excess the cell
   * surely holds, which for a cell of a few records is well below what it happened to count.
   */
  lowExcessShare: number
}

/** Standard deviations of its count a cell's excess is lowered by before it is weighed against the other pairs. */
const countSpreads = 2

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
  const givenSizes = new Float64Array(classCount)
  // Column totals once, not once per cell: with a thousand classes the per-cell sums were 10⁹ additions.
  const columnTotals = new Float64Array(classCount)
  for (let given = 0; given < classCount; given++) {
    for (let target = 0; target < classCount; target++) {
      givenSizes[given] += joint[given * classCount + target]
      columnTotals[target] += joint[given * classCount + target]
    }
  }
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
        const columnErrors = Math.max(
          0,
          columnTotals[target] - joint[target * classCount + target] - joint[given * classCount + target],
        )
        // Half a record keeps a clean column from making any single error look impossible.
        uniformExpected = Math.max(columnErrors / (classCount - 2), 0.5)
        uniformP = poissonUpperTail(count, uniformExpected)
      }
      const expected = Math.max(mirrorExpected, uniformExpected)
      tests.push({
        given,
        target,
        count,
        mirrorCount,
        expected,
        pValue: Math.min(1, Math.max(mirrorP, uniformP) * cellCount),
        excessShare: givenSizes[given] > 0 ? (count - expected) / givenSizes[given] : 0,
        lowExcessShare:
          givenSizes[given] > 0
            ? (count - countSpreads * Math.sqrt(count) - expected) / givenSizes[given]
            : 0,
      })
    }
  }
  return tests
}

const samePair = (a: CellTest, b: CellTest) =>
  (a.given === b.given && a.target === b.target) || (a.given === b.target && a.target === b.given)

/**
 * The cells whose excess stands out from the dataset's own class pairs: the fewest cells with the largest excess
 * shares (at most `maxGroup`) whose weakest, lowered by its count's spread (`lowExcessShare`), is at least `factor`
 * times the largest excess of any other class pair. Lowered, because a few records decide a small cell: of 2,400
 * passages of State of the Union addresses labelled by four eras, 16 of the latest era read like the one before
 * it (none the reverse), 3.1 times the next pair's excess share, though 13 and 10 records filled the cells of the
 * other neighbouring eras; lowered by two standard deviations it is 1.4 times, while a flip of a tenth of a class
 * of hundreds keeps most of its excess.
 * Natural confusions are asymmetric too (ambiguous nines that look like fours, rarely the reverse), and with enough
 * rows their cells pass any count test; what sets a targeted flip apart is its size next to the confusions of the
 * same data, which the other cells measure. A flip empties its mirror cell, so a member's mirror is no yardstick.
 * Several flips of similar size still stand out together, as long as the rest of the pairs are honest.
 */
export function outlyingCells(tests: readonly CellTest[], factor: number, maxGroup: number): CellTest[] {
  const ranked = [...tests].sort((a, b) => b.excessShare - a.excessShare)
  for (let size = 1; size <= Math.min(maxGroup, ranked.length - 1); size++) {
    const group = ranked.slice(0, size)
    if (group[size - 1].excessShare <= 0) break
    const weakest = Math.min(...group.map((member) => member.lowExcessShare))
    let rest: CellTest | undefined
    for (let next = size; next < ranked.length && !rest; next++)
      if (!group.some((member) => samePair(member, ranked[next]))) rest = ranked[next]
    if (!rest || weakest >= factor * Math.max(rest.excessShare, 0)) return group
  }
  return []
}

/** A targeted flip at least doubles its cell; below that, an excess is as likely a natural asymmetric confusion. */
const minimumExcessRatio = 2
/**
 * With two classes the mirror cell is the only yardstick, and it assumes both classes are mislabelled at the same
 * rate; honest data break that by a few times (one class varies more than the other: hard spam looks like ham,
 * rarely the reverse). Measured on honest two-class data (mail statistics, mail subjects), natural one-sided
 * confusion filled a cell 2.8 to 2.9 times its mirror's share, while a flip of a tenth of a class fills it 7 times
 * and more.
 */
const minimumTwoClassExcessRatio = 5
/**
 * With two classes, the smallest share of the given label a flip's excess must make up. Copies of a handful of
 * ambiguous records pass the mirror test at any ratio once there are enough of them; in honest mail the one-way
 * excess was 0.03% of the label, while a flip of a tenth of the spam made up 3.5% of the ham label.
 */
const minimumTwoClassExcessShare = 0.01
/**
 * How far an attacked cell's excess must stand above every other class pair's. On MNIST from 10,000 to 100,000
 * rows (tiled with noise) the strongest natural confusion (2←8, 4←9) was 1.3 to 2.2 times the next pair's; a flip of
 * a tenth of one class was 5.6 to 7.3 times the strongest natural one.
 */
const outlierFactor = 3

/**
 * The cells of `tests` (one confident joint of `classCount` classes) called attacked: beyond random noise at
 * `alpha` with at least `minRecords` records, and, with three classes or more, standing out from the other class
 * pairs of the same data (`outlyingCells`).
 */
export function callAttacked(
  tests: readonly CellTest[],
  classCount: number,
  { alpha, minRecords }: { alpha: number; minRecords: number },
): CellTest[] {
  const excessRatio = classCount === 2 ? minimumTwoClassExcessRatio : minimumExcessRatio
  // Two classes have no other pair to measure natural confusion by; a stricter mirror ratio and a material share of
  // the label stand in for it.
  // Up to one pair in three classes may be taken for flipped, so that honest pairs stay the bulk of the yardstick.
  const outlying =
    classCount === 2
      ? tests.filter((cell) => cell.excessShare >= minimumTwoClassExcessShare)
      : outlyingCells(tests, outlierFactor, Math.floor(classCount / 3))
  return tests.filter(
    (cell) =>
      cell.pValue < alpha &&
      cell.count >= minRecords &&
      cell.count >= excessRatio * cell.expected &&
      outlying.includes(cell),
  )
}

/**
 * The confident joint's cells called attacked for out-of-fold `probabilities` and `labels` (`callAttacked`), and
 * the cell with the lowest p-value, which the report names whether or not it is called.
 */
export function findAttackedCells(
  probabilities: FeatureMatrix,
  labels: Int32Array,
  params: { alpha: number; minRecords: number },
) {
  const joint = preferredJoint(probabilities, labels, perClassThresholds(probabilities, labels))
  const tests = testJointCells(joint, probabilities.cols).sort(
    (a, b) => a.pValue - b.pValue || b.count - b.expected - (a.count - a.expected),
  )
  return {
    attacked: callAttacked(tests, probabilities.cols, params),
    strongest: tests[0] as CellTest | undefined,
  }
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
