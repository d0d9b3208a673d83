import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { logPoissonTailBound } from '../../stats/tails.js'
import { lowerBound } from '../../util/sorted.js'
import { createUnionFind, findRoot, unite } from './union-find.js'

/** What the group scoring reads: dense geometry, its neighbour graph, and the labels (when there are any). */
export interface GroupContext {
  readonly features: FeatureMatrix
  readonly graph: NeighbourGraph
  /** Class code per record, -1 for unlabelled; absent when the dataset has no labels. */
  readonly codes?: Int32Array
  readonly classCount: number
  /** Nearest records outside a group whose labels say what the group's content is. */
  readonly voteCount: number
  /** A group that fills its members' neighbour lists searches every `scanStride`-th record past itself (1: all). */
  readonly scanStride: number
  /** Per class code, 1 where the class is made of copies (`classesMadeOfCopies`): its large groups are no flood. */
  readonly copyClasses?: Uint8Array
  /** Distances computed while searching past groups, counted for the detector's info. */
  readonly work: { distancesComputed: number }
  /** The dataset's natural group sizes; without it a group's chance of being natural is not weighed. */
  readonly sizes?: GroupSizeModel
  /**
   * Squared distances from each record to its `graph.k`-th neighbour, ascending (`neighbourReach`): how far this
   * data's neighbourhoods extend. Without it, every outside record votes in full.
   */
  readonly reach?: Float64Array
  /**
   * Whether the dense features call two graph neighbours near-identical (`createDenseLikeness`). Such a neighbour
   * of a group that is not in it is a copy an edit kept out of the links (a one-word change to a short subject
   * stays under the shingle bar), not the group's surroundings: its label counts as a member's, not as a neighbour's.
   */
  readonly alike?: (first: number, second: number, distance: number) => boolean
}

/** A plain duplicate group, one whose labels disagree, or one unusually large for its class. */
export type GroupKind = 'duplicate' | 'contradiction' | 'flood'

/** What the scoring concluded about one group of duplicates. */
export interface GroupAnalysis {
  readonly rows: Int32Array
  readonly kind: GroupKind
  /** Unusually large for this dataset, and unlike its class's own duplicate structure. */
  readonly large: boolean
  /** How far past the flood bar the group is, in [0,1): 1 − bar / size, 0 below the bar. */
  readonly excess: number
  /** Natural groups this large or larger the dataset's own group sizes predict (1 when not weighed). */
  readonly naturalCount: number
  /** Members per class code. */
  readonly labelCounts: Int32Array
  /** Labels of the nearest records outside the group, per class code. */
  readonly outsideCounts: Int32Array
  readonly outsideTotal: number
  /** Chance each class is the right label for the group's content; empty when not needed. */
  readonly support: Float64Array
  /** The member most likely to be the original: the one nearest the centre among those with the best label. */
  readonly original: number
  /** Class code with the most support, or -1. */
  readonly bestLabel: number
  /**
   * Set where the group is copies of its original given another label, by a dataset-level test
   * (`findCopiedOriginals`): the chance, across the groups tested, that labels dealt at random would set this one
   * apart as much.
   */
  readonly copiesPValue?: number
}

/** Odds a label gains from each nearby record that carries it: a unanimous neighbourhood of ten is decisive. */
const oddsPerVote = 3
/**
 * Votes a label gets for being given by someone in the group: a group that agrees on its label is overruled
 * only when at least nine of its ten nearest other records say otherwise. In a group whose labels conflict every
 * given label gets them, so they only set the given labels apart from labels nobody gave.
 */
const givenLabelVotes = 8

/** Before any group is seen, the share of natural groups larger than a pair, and how many groups that guess is worth. */
const priorLargerShare = 0.3
const priorGroupCount = 20
/** Natural groups of the flood bar's size or more that the dataset may be expected to hold. */
const expectedNaturalFloods = 0.05

/** Natural duplicate groups' sizes as a geometric tail: how many groups there are and the share larger than a pair. */
export interface GroupSizeModel {
  readonly groupCount: number
  /** Share q of groups larger than a pair, shrunk towards 0.3 by a weak prior. */
  readonly share: number
}

/**
 * The geometric tail of a dataset's group sizes: the share q of groups larger than a pair (shrunk towards 0.3 by a
 * weak prior, so a dataset whose only groups are floods cannot make them ordinary) predicts `groups · q^(size−2)`
 * natural groups of a size or more.
 */
export function fitGroupSizes(groups: readonly Int32Array[]): GroupSizeModel {
  const larger = groups.filter((group) => group.length > 2).length
  const share = (larger + priorLargerShare * priorGroupCount) / (groups.length + priorGroupCount)
  return { groupCount: Math.max(1, groups.length), share }
}

/** Natural groups of `size` or more the model expects the dataset to hold. */
export function expectedNaturalGroups(model: GroupSizeModel, size: number): number {
  return model.groupCount * model.share ** (size - 2)
}

/**
 * Smallest group size that counts as unusually large for this dataset: where fewer than 0.05 natural groups of
 * that size or more are expected (`fitGroupSizes`), and never below `minFloodSize`.
 */
export function floodSizeThreshold(groups: readonly Int32Array[], minFloodSize: number): number {
  const { groupCount, share } = fitGroupSizes(groups)
  const extra = Math.log(expectedNaturalFloods / groupCount) / Math.log(share)
  return Math.max(minFloodSize, 2 + Math.ceil(extra))
}

/** Share of a class's records in large, label-agreeing groups above which such groups are the class itself. */
const copyClassShare = 0.5

/** The one label all labelled members of a group carry, or -1 when they disagree or none is labelled. */
function sharedLabel(rows: Int32Array, codes: Int32Array): number {
  let label = -1
  for (const row of rows) {
    if (codes[row] < 0) continue
    if (label >= 0 && codes[row] !== label) return -1
    label = codes[row]
  }
  return label
}

/**
 * Per class code, 1 where most of the class's records sit in groups at or above the flood bar that agree on the
 * label: such a class is made of copies (a class of near-identical images, a form filled in the same way), so its
 * large groups are its natural duplicate structure, not a flood. A flood of copies labelled as some class
 * stands out because that class's other records are not copies of each other.
 */
export function classesMadeOfCopies(
  groups: readonly Int32Array[],
  floodThreshold: number,
  codes: Int32Array,
  classCount: number,
): Uint8Array {
  const classSizes = new Int32Array(classCount)
  for (const code of codes) if (code >= 0) classSizes[code]++
  const inLargeGroups = new Int32Array(classCount)
  for (const rows of groups) {
    if (rows.length < floodThreshold) continue
    const label = sharedLabel(rows, codes)
    if (label >= 0) inLargeGroups[label] += rows.length
  }
  return Uint8Array.from(classSizes, (size, code) =>
    size > 0 && inLargeGroups[code] >= copyClassShare * size ? 1 : 0,
  )
}

/** Mean of the rows' features. */
export function centroid(rows: Int32Array, features: FeatureMatrix): Float64Array {
  const centre = new Float64Array(features.cols)
  for (const row of rows) {
    for (let col = 0; col < features.cols; col++) centre[col] += features.data[row * features.cols + col]
  }
  for (let col = 0; col < features.cols; col++) centre[col] /= rows.length
  return centre
}

/** Squared distance from a row's features to a point. */
export function squaredDistance(features: FeatureMatrix, row: number, centre: Float64Array): number {
  let sum = 0
  for (let col = 0; col < features.cols; col++)
    sum += (features.data[row * features.cols + col] - centre[col]) ** 2
  return sum
}

/**
 * The groups, with groups at or above the flood bar joined where their centres lie closer than the median record's
 * `graph.k`-th neighbour (`reach`): one neighbourhood, split only because it holds more records than a neighbour
 * list. Copies jittered in a column of counts fall into one piece per count: 605 copies of one ham mail labelled
 * spam in a table of mail statistics made 9–11 pieces, none large beside the mails' natural groups of 123, each
 * confirmed by its neighbours in the next, and the scan called the table clean.
 */
export function joinFloodPieces(
  groups: readonly Int32Array[],
  floodThreshold: number,
  features: FeatureMatrix,
  reach: Float64Array,
): Int32Array[] {
  const medianReach = reach[Math.floor(reach.length / 2)]
  const large = groups.flatMap((rows, index) => (rows.length >= floodThreshold ? [index] : []))
  const centres = large.map((index) => centroid(groups[index], features))
  const pieces = createUnionFind(groups.length)
  for (let first = 0; first < large.length; first++) {
    for (let second = first + 1; second < large.length; second++) {
      if (squaredDistanceBetween(centres[first], centres[second]) < medianReach)
        unite(pieces, large[first], large[second])
    }
  }
  const joined = new Map<number, Int32Array[]>()
  groups.forEach((rows, index) => {
    const root = findRoot(pieces, index)
    const parts = joined.get(root)
    if (parts) parts.push(rows)
    else joined.set(root, [rows])
  })
  return Array.from(joined.values(), (parts) =>
    parts.length === 1 ? parts[0] : Int32Array.from(parts.flatMap((part) => [...part])).sort(),
  )
}

function squaredDistanceBetween(first: Float64Array, second: Float64Array): number {
  let sum = 0
  for (let col = 0; col < first.length; col++) sum += (first[col] - second[col]) ** 2
  return sum
}

/**
 * Up to `voteCount` labelled non-members nearest the centre (the graph first, a scan when the group fills it), and
 * the neighbours `context.alike` calls copies of a member, which are left out of them.
 */
function outsideNeighbours(
  rows: Int32Array,
  members: Set<number>,
  centre: Float64Array,
  context: GroupContext,
): { outside: Int32Array; unlinkedCopies: Set<number> } {
  const { graph, codes, voteCount } = context
  const found = new Set<number>()
  const unlinkedCopies = new Set<number>()
  for (const row of rows) {
    for (let position = 0; position < graph.k; position++) {
      const neighbour = graph.indices[row * graph.k + position]
      if (members.has(neighbour) || unlinkedCopies.has(neighbour)) continue
      if (context.alike?.(row, neighbour, graph.distances[row * graph.k + position])) {
        unlinkedCopies.add(neighbour)
        found.delete(neighbour)
      } else if (codes![neighbour] >= 0) found.add(neighbour)
    }
  }
  // A group filling its members' neighbour lists (a flood) must look past itself: every record, or a stride of
  // them when so many groups need it that scanning all would cost rows × groups.
  const candidates =
    found.size >= voteCount / 2
      ? [...found].sort((a, b) => a - b)
      : Array.from(
          { length: Math.ceil(codes!.length / context.scanStride) },
          (_, index) => index * context.scanStride,
        )
  const nearest = new Int32Array(voteCount).fill(-1)
  const nearestDistances = new Float64Array(voteCount).fill(Number.POSITIVE_INFINITY)
  for (const row of candidates) {
    if (members.has(row) || unlinkedCopies.has(row) || codes![row] < 0) continue
    const distance = squaredDistance(context.features, row, centre)
    context.work.distancesComputed++
    let slot = voteCount - 1
    if (!(distance < nearestDistances[slot])) continue
    while (slot > 0 && distance < nearestDistances[slot - 1]) {
      nearest[slot] = nearest[slot - 1]
      nearestDistances[slot] = nearestDistances[slot - 1]
      slot--
    }
    nearest[slot] = row
    nearestDistances[slot] = distance
  }
  return { outside: nearest.filter((row) => row >= 0), unlinkedCopies }
}

/** Squared distance from each record to its `graph.k`-th neighbour in `features`, ascending. */
export function neighbourReach(features: FeatureMatrix, graph: NeighbourGraph): Float64Array {
  const reach = new Float64Array(graph.rows)
  const row = new Float64Array(features.cols)
  for (let record = 0; record < graph.rows; record++) {
    const farthest = graph.indices[record * graph.k + graph.k - 1]
    if (farthest < 0) {
      reach[record] = Number.POSITIVE_INFINITY
      continue
    }
    row.set(features.data.subarray(farthest * features.cols, (farthest + 1) * features.cols))
    reach[record] = squaredDistance(features, record, row)
  }
  return reach.sort()
}

/** Share of the records whose neighbourhood (`reach`) extends at least `distance` (squared) from them. */
function shareReaching(reach: Float64Array, distance: number): number {
  return reach.length > 0 ? (reach.length - lowerBound(reach, distance)) / reach.length : 1
}

/**
 * Votes of the nearest labelled records outside a group, per class. In a large group, whose members' numbers do not
 * vote, they decide alone, so each counts by the share of the data's records whose own neighbourhood reaches as far:
 * a record beyond where almost any record's k-th neighbour lies says little of what the group is. Nine honest ham
 * issues of one newsletter template have a ham as near as 73% of the mails' tenth neighbours, two spam as far as 21%
 * of them, and seven mails beyond the 90th percentile (4 spam with no flip). With one issue flipped to spam, flips
 * among the far mails made the other eight a flood of copies of it (10% flips, seeds 2 and 5: each ranked above
 * every flipped mail); read so, the flipped issue is the contradiction and the eight stay below the flag.
 */
function outsideVotes(
  outside: Int32Array,
  centre: Float64Array,
  large: boolean,
  context: GroupContext,
): Float64Array {
  const votes = new Float64Array(context.classCount)
  for (const row of outside) {
    const weight =
      large && context.reach
        ? shareReaching(context.reach, squaredDistance(context.features, row, centre))
        : 1
    votes[context.codes![row]] += weight
  }
  return votes
}

/**
 * Chance each class is the group's right label: a log-linear vote of the nearest records outside the group
 * (`outsideVotes`), the labels given inside it, and, in small groups only, how many members give each (in a large
 * group the members are what an attacker controls).
 */
function labelSupport(labelCounts: Int32Array, outside: Float64Array, large: boolean): Float64Array {
  const votes = Float64Array.from(
    labelCounts,
    (count, code) => outside[code] + (count > 0 ? givenLabelVotes + (large ? 0 : count) : 0),
  )
  const most = Math.max(...votes)
  const support = votes.map((vote) => oddsPerVote ** (vote - most))
  const total = support.reduce((sum, value) => sum + value, 0)
  return support.map((value) => value / total)
}

function argmax(values: Float64Array): number {
  let best = -1
  for (let index = 0; index < values.length; index++)
    if (best < 0 || values[index] > values[best]) best = index
  return best
}

/** The member nearest the centre among those labelled `label` (all members when none is). */
function pickOriginal(
  rows: Int32Array,
  features: FeatureMatrix,
  centre: Float64Array,
  codes: Int32Array | undefined,
  label: number,
) {
  const preferred = codes && label >= 0 ? rows.filter((row) => codes[row] === label) : rows
  const pool = preferred.length > 0 ? preferred : rows
  let best = pool[0]
  let bestDistance = squaredDistance(features, best, centre)
  for (const row of pool) {
    const distance = squaredDistance(features, row, centre)
    if (distance < bestDistance) {
      best = row
      bestDistance = distance
    }
  }
  return best
}

/**
 * Whether a group's labels look like noise on natural copies: the best-supported label and the others are each
 * carried by several members. Copies made of one record and given another label leave a single member on one side
 * (the original against its copies, or one relabelled copy against the rest); a large natural group (a mailing
 * list's identical digests, a thread's repeated subject) with a few relabelled members holds several on each
 * side, whichever side its surroundings favour, and is a contradiction for the label evidence to weigh. Measured
 * on short subject lines with 10% random flips: a natural thread of 20 (17 ham, 3 spam) whose nearest other
 * subjects are spam was called a flood when only the majority counted.
 */
function noisyLabels(labelCounts: Int32Array, bestLabel: number): boolean {
  let labelled = 0
  let most = 0
  for (const count of labelCounts) {
    labelled += count
    most = Math.max(most, count)
  }
  // Copies planted to teach a label carry that label in numbers. Where no label holds a majority, the content says
  // nothing of the class: short common texts ("lo lo sa") collide by chance across all classes as the rows grow.
  if (2 * most <= labelled) return true
  const best = bestLabel >= 0 ? labelCounts[bestLabel] : 0
  return labelled - best >= 2 && best >= 2
}

/** Weighs the labels of one group against each other and against its surroundings. */
export function analyseGroup(rows: Int32Array, floodThreshold: number, context: GroupContext): GroupAnalysis {
  const { codes, classCount, copyClasses } = context
  const labelCounts = new Int32Array(classCount)
  if (codes) for (const row of rows) if (codes[row] >= 0) labelCounts[codes[row]]++
  const conflict = labelCounts.filter((count) => count > 0).length > 1
  const label = codes && !conflict ? sharedLabel(rows, codes) : -1
  const ownClassStructure = label >= 0 && copyClasses?.[label] === 1
  const large = rows.length >= floodThreshold && !ownClassStructure
  const excess = large ? 1 - floodThreshold / rows.length : 0
  const naturalCount = context.sizes ? Math.min(1, expectedNaturalGroups(context.sizes, rows.length)) : 1
  const centre = centroid(rows, context.features)
  const outsideCounts = new Int32Array(classCount)
  let outsideTotal = 0
  let support: Float64Array = new Float64Array(0)
  if (codes && (conflict || large)) {
    const { outside, unlinkedCopies } = outsideNeighbours(rows, new Set(rows), centre, context)
    for (const row of outside) outsideCounts[codes[row]]++
    outsideTotal = outsideCounts.reduce((sum, count) => sum + count, 0)
    const given = Int32Array.from(labelCounts)
    for (const row of unlinkedCopies) if (codes[row] >= 0) given[codes[row]]++
    support = labelSupport(given, outsideVotes(outside, centre, large, context), large)
  }
  const bestLabel = support.length > 0 ? argmax(support) : argmax(Float64Array.from(labelCounts))
  const kind: GroupKind =
    large && !(conflict && noisyLabels(labelCounts, bestLabel))
      ? 'flood'
      : conflict
        ? 'contradiction'
        : 'duplicate'
  const original = pickOriginal(
    rows,
    context.features,
    centre,
    codes,
    labelCounts[bestLabel] > 0 ? bestLabel : -1,
  )
  return {
    rows,
    kind,
    large,
    excess,
    naturalCount,
    labelCounts,
    outsideCounts,
    outsideTotal,
    support,
    original,
    bestLabel,
  }
}

/** Suspicion of a plain duplicate: worth a look in a report, never a flag on its own. */
export const duplicateSuspicion = 0.1
/** Suspicion of a member of an unusually large group whose label its surroundings confirm. */
export const confirmedFloodSuspicion = 0.25

/**
 * Whether the members of a group all carry its best-supported label but one: the shape of many copies made of
 * one record and given another label. A natural group of copies (a mailing list's identical digests) whose labels
 * are noisy holds several scattered others instead, and its members' labels are for the label evidence to judge.
 */
function copiesOfOneOther(group: GroupAnalysis): boolean {
  let others = 0
  group.labelCounts.forEach((count, code) => {
    if (code !== group.bestLabel) others += count
  })
  return others === 1
}

/**
 * Per group, the size of the largest other unusually large group whose majority carries the label its
 * surroundings support: how large natural copies grow in this dataset. Mail subjects repeat a thread's line 52
 * times with the label its neighbours confirm, so there one relabelled copy in a thread of 52 says nothing about
 * how the thread was made; on digits whose natural groups are pairs, 60 copies of one record do.
 */
export function ordinaryGroupSizes(analyses: readonly GroupAnalysis[]): Int32Array {
  let largest = -1
  let runnerUp = 0
  analyses.forEach((group, index) => {
    const confirmed = group.large && argmax(Float64Array.from(group.labelCounts)) === group.bestLabel
    if (!confirmed) return
    const size = group.rows.length
    if (largest < 0 || size > analyses[largest].rows.length) {
      runnerUp = largest < 0 ? 0 : analyses[largest].rows.length
      largest = index
    } else runnerUp = Math.max(runnerUp, size)
  })
  return Int32Array.from(analyses, (_, index) =>
    index === largest ? runnerUp : largest < 0 ? 0 : analyses[largest].rows.length,
  )
}

/**
 * Natural groups as large as a flood's relabelled copies alone that the dataset may be expected to hold: a fiftieth
 * of the flood bar's. Copies just past the bar are natural copies as often as not: seven ham newsletters of a group
 * of nine whose neighbours are spam, two of them flipped by random noise, read as a flood at the bar itself.
 */
const relabelledCopiesNaturalCount = 0.001

/**
 * The groups, with each large contradiction that is a few records copied in numbers and relabelled read as a flood:
 * more than half its members carry a label its surroundings reject, so many that the dataset's natural group sizes
 * (`sizes`) do not explain them and more than natural copies in it grow to (`ordinaryGroupSizes`), while the members
 * left are fewer than the flood bar, no more than one record's natural copies. A seed record with an honest twin,
 * copied 37 times as the other class, holds two members on the true side and read as label noise; a mail thread of
 * 17 ham and 3 spam among spam still does where threads of 52 copies are ordinary.
 */
export function withRelabelledFloods(
  analyses: readonly GroupAnalysis[],
  floodThreshold: number,
  sizes: GroupSizeModel,
): GroupAnalysis[] {
  const ordinarySizes = ordinaryGroupSizes(analyses)
  return analyses.map((group, index) => {
    if (group.kind !== 'contradiction' || !group.large) return group
    const majority = argmax(Float64Array.from(group.labelCounts))
    const copies = group.labelCounts[majority]
    const others = group.labelCounts.reduce((sum, count) => sum + count, 0) - copies
    const relabelled =
      majority !== group.bestLabel &&
      copies > others &&
      copies >= floodThreshold &&
      copies > ordinarySizes[index] &&
      expectedNaturalGroups(sizes, copies) < relabelledCopiesNaturalCount &&
      others < floodThreshold
    return relabelled ? { ...group, kind: 'flood' } : group
  })
}

/**
 * Chance a member's label is wrong, or that it is a planted copy. Where the group's labels disagree, one minus
 * its label's support; in an unusually large group whose labels disagree, every member but the original is at
 * least as suspect as the group is oversized, since copies in such numbers do not arise naturally (this catches
 * a flood whose copies carry the label the surroundings favour). Groups that agree on their label stay below
 * the flag unless their surroundings overrule them; plain duplicates get a small constant, the original half.
 * The oversized floor holds only where one member stands against the rest: several scattered other labels in a
 * large group are label noise, not a sign of how it was made; and it is measured past `ordinarySize` as well as
 * the flood bar, the size natural groups elsewhere in the dataset reach (`ordinaryGroupSizes`).
 */
export function memberSuspicion(
  group: GroupAnalysis,
  row: number,
  codes: Int32Array | undefined,
  ordinarySize = 0,
): number {
  const code = codes ? codes[row] : -1
  const base = group.kind === 'flood' ? confirmedFloodSuspicion : duplicateSuspicion
  const floor = row === group.original ? base / 2 : base
  if (group.support.length === 0 || code < 0) return floor
  const wrong = 1 - group.support[code]
  if (group.kind === 'contradiction') return wrong
  const beyondOrdinary = Math.max(0, 1 - ordinarySize / group.rows.length)
  const oversized =
    copiesOfOneOther(group) && row !== group.original ? Math.min(group.excess, beyondOrdinary) : 0
  // A group barely past the flood bar may be natural duplicates whose one odd member was relabelled; the label
  // verdict then belongs to the label detectors, so only a group far past the bar, or one far larger than the
  // dataset's natural groups grow (11 copies where the groups are pairs: 10⁻⁴ expected), speaks with full weight.
  const speaks = Math.max(0.5 + group.excess, 1 - group.naturalCount)
  const tested = group.copiesPValue !== undefined && code !== group.bestLabel ? 1 - group.copiesPValue : 0
  return Math.max(Math.min(wrong, speaks), oversized, tested, floor)
}

/**
 * The finding a member of a group stands for. In a flood whose majority carries the best-supported label, a member
 * labelled otherwise is one record whose label both the group and its surroundings reject: a label issue (or a
 * planted contradiction), which the contradiction test weighs against label noise, not a copy of the flood.
 */
export function memberFindingKind(
  group: GroupAnalysis,
  row: number,
  codes: Int32Array | undefined,
): GroupKind {
  if (group.kind !== 'flood' || !codes || codes[row] < 0 || codes[row] === group.bestLabel) return group.kind
  return argmax(Float64Array.from(group.labelCounts)) === group.bestLabel ? 'contradiction' : 'flood'
}

/** Conflicting groups of copies against how many label noise at a rate would make. */
export interface ContradictionTest {
  /** Groups of at least two labelled members whose labels disagree. */
  readonly conflicting: number
  /** Conflicting groups expected if each label were wrong with chance `noiseRate`. */
  readonly expected: number
  /** Chance label noise makes at least `conflicting` of them (a Poisson tail bound). */
  readonly pValue: number
}

/**
 * Whether copies disagree on their labels more often than label noise explains. Copies share their content, so
 * under noise at rate r a group of s labelled copies disagrees with chance at most 1 − (1 − r)^s; planted
 * contradictions (copies given another label) disagree every time. `noiseRate` is best an upper bound (the
 * neighbours' disagreement, which natural class overlap adds to), so the test stays conservative.
 */
export function testContradictions(analyses: readonly GroupAnalysis[], noiseRate: number): ContradictionTest {
  let conflicting = 0
  let expected = 0
  for (const group of analyses) {
    let labelled = 0
    let labels = 0
    for (const count of group.labelCounts) {
      labelled += count
      if (count > 0) labels++
    }
    if (labelled < 2) continue
    expected += 1 - (1 - noiseRate) ** labelled
    if (labels > 1) conflicting++
  }
  return { conflicting, expected, pValue: Math.exp(logPoissonTailBound(conflicting, expected)) }
}
