import type { FeatureMatrix } from '../../data/matrix.js'
import { rankSumLowerTail } from '../../stats/rank-sum.js'
import { lnChoose } from '../../stats/special.js'
import { centroid, type GroupAnalysis, squaredDistance } from './score.js'

/** How a group's members who do not carry its majority label sit in it, against labels dealt among them at random. */
export interface CentralMinorityTest {
  /** The label most members carry, or -1 when no label holds a strict majority. */
  readonly majority: number
  /** Labelled members carrying another label. */
  readonly minority: number
  /** The minority member nearest the group's centre, or -1 when there is none. */
  readonly centralMember: number
  /** Chance labels dealt at random among the members put the minority this near the centre (1 when untested). */
  readonly pValue: number
}

/**
 * Whether the members of a group who carry a label other than its majority's sit at its centre: copies of one
 * record, jittered and given another label, surround their original, so the original (and honest records it
 * lies among) rank nearest the copies' centre; labels that vary among natural copies (a flipped issue of a
 * newsletter) fall anywhere in the group. The test is Wilcoxon's rank sum of the minority's distances to the
 * centre, one-sided, against every way of dealing the same labels among the members, so it holds its level
 * whatever the group's shape; a group of exact copies (every distance the same) is never significant, since tied
 * minority members take the highest rank of their tie. One member against 600 reaches 1/600, one against ten no
 * less than 1/11: only groups far past ordinary sizes can pass.
 */
export function testCentralMinority(
  rows: Int32Array,
  codes: Int32Array,
  features: FeatureMatrix,
  classCount: number,
): CentralMinorityTest {
  const counts = new Int32Array(classCount)
  let labelled = 0
  for (const row of rows) {
    if (codes[row] < 0) continue
    counts[codes[row]]++
    labelled++
  }
  let majority = 0
  for (let code = 1; code < classCount; code++) if (counts[code] > counts[majority]) majority = code
  const minority = labelled - counts[majority]
  if (minority === 0 || 2 * counts[majority] <= labelled)
    return { majority: minority === 0 ? majority : -1, minority, centralMember: -1, pValue: 1 }
  const centre = centroid(rows, features)
  const members = Array.from(rows, (row) => ({ row, distance: squaredDistance(features, row, centre) }))
  members.sort((a, b) => a.distance - b.distance)
  let rankSum = 0
  let centralMember = -1
  for (let index = 0; index < members.length; index++) {
    const { row, distance } = members[index]
    if (codes[row] < 0 || codes[row] === majority) continue
    if (centralMember < 0) centralMember = row
    // The highest rank among the members tied with this one: ties never speak for the test.
    let rank = index + 1
    while (rank < members.length && members[rank].distance === distance) rank++
    rankSum += rank
  }
  return { majority, minority, centralMember, pValue: rankSumLowerTail(rankSum, minority, rows.length) }
}

/** Groups whose test reaches this, across the groups tested, are read as copies of their central member. */
const copiesSignificance = 0.01

/** The groups with those found to be copies of their original marked so, and the dataset-level test behind them. */
export interface CopiedOriginals {
  readonly analyses: GroupAnalysis[]
  /** Groups large enough, and with labels mixed enough, for the test to reach `copiesSignificance`. */
  readonly tested: number
  /** The smallest p-value among them times their number (Bonferroni); 1 when none was tested. */
  readonly pValue: number
}

/** Whether a group of `size` with `minority` members of other labels can reach `significance` at all. */
function canReach(size: number, minority: number, significance: number): boolean {
  return minority > 0 && lnChoose(size, minority) > -Math.log(significance)
}

/**
 * Large groups of copies whose minority label sits at their centre (`testCentralMinority`), read as a flood of
 * copies of their central member given the majority's label: that member is the original and its label the group's
 * right one, whatever the surroundings say (the original's nearest honest mails may well be of the flood's label).
 * Only groups that can reach the significance are counted as tested, so a dataset of small groups pays nothing.
 */
export function findCopiedOriginals(
  analyses: readonly GroupAnalysis[],
  codes: Int32Array,
  features: FeatureMatrix,
  classCount: number,
): CopiedOriginals {
  const tests = analyses.map((group) => {
    if (!group.large || group.labelCounts.filter((count) => count > 0).length < 2) return undefined
    const test = testCentralMinority(group.rows, codes, features, classCount)
    return canReach(group.rows.length, test.minority, copiesSignificance) ? test : undefined
  })
  const tested = tests.filter((test) => test !== undefined).length
  let pValue = 1
  const marked = analyses.map((group, index) => {
    const test = tests[index]
    if (!test) return group
    const adjusted = Math.min(1, test.pValue * tested)
    pValue = Math.min(pValue, adjusted)
    if (!(adjusted < copiesSignificance)) return group
    const bestLabel = codes[test.centralMember]
    const support = new Float64Array(classCount)
    support[bestLabel] = 1
    return {
      ...group,
      kind: 'flood' as const,
      original: test.centralMember,
      bestLabel,
      support,
      copiesPValue: adjusted,
    }
  })
  return { analyses: marked, tested, pValue }
}
