import { logBinomialTailBound, logPoissonTailBound } from '../../stats/tails.js'
import { evenSample } from '../../util/even-sample.js'
import { mixHash } from '../../util/hashing.js'
import { lowerBound } from '../../util/sorted.js'
import { CandidateNull, oddsScale, type ReferenceFeature } from './candidate-null.js'
import {
  addCalibrated,
  addExpectedExcluding,
  type ContentSupport,
  calibrateReading,
  expectedLabelShare,
  tallyLabels,
} from './content.js'
import type { ApartReading } from './families.js'
import { type CarrierLists, carrierLists, type Incidence, selectLists } from './incidence.js'

export interface MiningOptions {
  /** Fewest records labelled with the target that must carry a feature. */
  readonly minRows: number
  /** Features carried by more records than this are too common to be a trigger. */
  readonly maxCarriers: number
  /**
   * Features carried by more records than this (a family may admit more than the usual cap) are tested only for a
   * label at least half of their carriers hold, and stay out of the reference: a trigger written into that many
   * records relabels nearly all of them, while a common value natural to the data (an empty row of pixels) is held
   * across the classes, and its carriers read apart from it say little of their labels.
   */
  readonly maxMixedCarriers?: number
  /**
   * Observed records of the label must exceed the content's expectation by at least this factor; where content
   * predicts the label for more than `1 / minRatio` of the carriers (a class of four records in five read by weak
   * content), the other labels' records must fall short of it by this factor instead.
   */
  readonly minRatio: number
  /**
   * Test labels content predicts for most carriers by their odds (see `minRatio`): only where the carriers can
   * also be read with the feature hidden, since a label-pure feature of a big class (a token only its mails hold)
   * passes the odds as a trigger does, and only that reading tells relabelled carriers from the class's own.
   */
  readonly oddsTest?: boolean
  /** Family-wise error rate over every (feature, label) pair tested. */
  readonly significance: number
  /** Features examined in full after the cheap screen, strongest first. */
  readonly maxCandidates: number
  /**
   * Read carriers' content from neighbours that do not carry the feature: for triggers that dominate the
   * geometry (pixel patches, tabular values), where carriers would otherwise vouch for each other.
   */
  readonly excludeCarriers: boolean
  /** The kind of a feature (pixel value, window size, word, column value): its null is drawn from its own kind. */
  readonly kindOf?: (feature: number) => number
  readonly kindCount?: number
  /**
   * Labels of the `k` nearest unmarked records of each row, read apart from the feature (rows × k, -1 where none):
   * for carriers whose neighbours are nearly all carriers, which would otherwise be judged by the label shares
   * alone (see `FeatureFamily.readApart`).
   */
  readonly readApart?: (rows: Int32Array, marks: Uint8Array) => ApartReading
  /**
   * Groups of features singled out from the features alone, never the labels (values several columns share on
   * the same records; `focus[feature]`, 0 for the rest): the significance is split evenly over the groups that
   * hold any feature and the rest, a weighted Bonferroni correction that keeps the family-wise error rate while a
   * few focused tests need far less evidence than hundreds would.
   */
  readonly focus?: Uint8Array
  /**
   * The count test's bound for features of each kind: the Poisson bound (default), or the binomial one over the
   * carriers with a label, which is far tighter where nearly every carrier holds the label, as a planted value's
   * carriers on a small table do (Hoeffding: with the same mean, no sum of unequal chances has a heavier tail).
   */
  readonly countTail?: (kind: number) => 'poisson' | 'binomial'
  /**
   * The feature whose carriers include a narrower feature's (the pixel value for the same value standing apart
   * from its neighbours), -1 for none. Where the narrower one is significant the broader one joins it on its
   * evidence, so the trigger reaches every record it was written into, not only those where it shows most.
   */
  readonly broaderFeature?: (feature: number) => number
}

/** A feature whose carriers hold one label far more often than their content predicts. */
export interface FeatureEvidence {
  readonly feature: number
  readonly label: number
  /** Records carrying the feature, any label. */
  readonly carriers: number
  /** Carriers with `label`. */
  readonly observed: number
  /** Carriers the content predicts to have `label`. */
  readonly expected: number
  /**
   * Natural log of the p-value: the larger of the count test (the tail bound of `observed` given `expected`) and
   * the same-kind test (the excess against ordinary candidates of the same kind and support).
   */
  readonly logPValue: number
  /** What the p-value is multiplied by to correct it for the tests it was weighed against. */
  readonly correction: number
  /** Tested by its odds against the other labels (see `MiningOptions.minRatio`). */
  readonly byOdds?: boolean
}

export interface MiningResult {
  readonly evidence: FeatureEvidence[]
  /** Carriers of every evidence feature, in the order of `evidence`. */
  readonly lists: CarrierLists
  /** (feature, label) pairs the correction accounts for. */
  readonly testCount: number
}

/** Carriers of the feature in `slot` that have a label. */
function labelled(observed: Float64Array, slot: number, classCount: number): number {
  let total = 0
  for (let label = 0; label < classCount; label++) total += observed[slot * classCount + label]
  return total
}

/**
 * Each feature's Bonferroni multiplier: its group's share of the significance spread over the tests sharing it.
 * Groups of features that narrow others (see `MiningOptions.broaderFeature`: a pixel value standing apart
 * narrows the pixel value) share the part of the features they narrow, the rest's, rather than taking one of
 * their own from the groups chosen for themselves: a third part for values standing apart cut the share of the
 * values neighbouring pixels hold together from a half to a third, and a 2×2 patch of 0 on 2% of 64×64 noisy
 * shapes, e^−10.06 where e^−9.86 had been needed, then missed its e^−10.27.
 */
function corrections(carrierCounts: Int32Array, classCount: number, options: MiningOptions) {
  const groupSizes = new Int32Array(256)
  const narrowing = new Uint8Array(256)
  for (let feature = 0; feature < carrierCounts.length; feature++) {
    if (carrierCounts[feature] < options.minRows || carrierCounts[feature] > options.maxCarriers) continue
    const group = options.focus?.[feature] ?? 0
    groupSizes[group]++
    if (group > 0 && (options.broaderFeature?.(feature) ?? -1) >= 0) narrowing[group] = 1
  }
  // One part for each group chosen for itself and one for the rest, which its narrowing groups split.
  let parts = 0
  let restParts = 0
  let tested = 0
  groupSizes.forEach((size, group) => {
    tested += size
    if (size === 0) return
    if (group === 0 || narrowing[group]) restParts++
    else parts++
  })
  if (restParts > 0) parts++
  const splitOf = (group: number) => Math.max(1, parts) * (group === 0 || narrowing[group] ? restParts : 1)
  return {
    testCount: Math.max(1, tested * classCount),
    of: (feature: number) => {
      const group = options.focus?.[feature] ?? 0
      return splitOf(group) * Math.max(1, groupSizes[group] * classCount)
    },
  }
}

/** Disagreement below which a record does not count towards the screen. */
const screenMinimumDisagreement = 0.1

/**
 * One pass over the incidence: the content disagreement each feature's carriers add up to, and a Boyer–Moore
 * majority vote over their labels (the leading label's lead, which is large only when most carriers share it).
 * A feature's leader and lead sit side by side (`votes[2f]`, `votes[2f + 1]`), so a visit misses the cache once.
 */
function screenStatistics(incidence: Incidence, codes: Int32Array, support: ContentSupport, vote: boolean) {
  const mass = new Float32Array(incidence.featureCount)
  const votes = vote ? new Int32Array(2 * incidence.featureCount) : undefined
  const { indptr, features } = incidence
  let total = 0
  for (let row = 0; row < incidence.rowCount; row++) {
    const code = codes[row]
    if (code < 0) continue
    const weight = 1 - expectedLabelShare(support, row, code)
    total += weight
    // Records their content firmly supports add little mass; leaving them out halves the pass.
    const heavy = weight >= screenMinimumDisagreement
    const end = indptr[row + 1]
    if (heavy) for (let entry = indptr[row]; entry < end; entry++) mass[features[entry]] += weight
    if (!votes) continue
    for (let entry = indptr[row]; entry < end; entry++) {
      const at = 2 * features[entry]
      const lead = votes[at + 1]
      // Without branches, whose outcomes follow the labels of whichever features a record carries and so are
      // mispredicted often: an empty vote takes the label with a lead of one; otherwise the lead grows by one for
      // the leading label and shrinks by one for another.
      const empty = +(lead === 0)
      const same = +(votes[at] === code)
      votes[at] += (code - votes[at]) * empty
      votes[at + 1] = lead + empty + (1 - empty) * (2 * same - 1)
    }
  }
  return { mass, votes, meanDisagreement: total / Math.max(1, incidence.rowCount) }
}

/**
 * Per feature whose carriers' leading label (`votes`) holds more than `1 / minRatio` of the records: how far its
 * carriers of other labels fall short of those content predicts among its carriers with that label, in standard
 * deviations (Poisson). Where content predicts a label for most records, a trigger's carriers disagree with their
 * content hardly more than anyone's and hold that label no more often than the many label-pure features of that
 * class; their odds show only as missing records of the other labels.
 */
function otherLabelDeficit(
  incidence: Incidence,
  codes: Int32Array,
  support: ContentSupport,
  votes: Int32Array,
  minRatio: number,
): Float32Array | undefined {
  const big = support.labelShares.map((share) => +(minRatio * share > 1))
  if (!big.includes(1)) return undefined
  const predicted = new Float32Array(incidence.featureCount)
  const seen = new Float32Array(incidence.featureCount)
  const { indptr, features } = incidence
  for (let row = 0; row < incidence.rowCount; row++) {
    const code = codes[row]
    if (code < 0) continue
    const weight = 1 - expectedLabelShare(support, row, code)
    for (let entry = indptr[row]; entry < indptr[row + 1]; entry++) {
      const feature = features[entry]
      const leader = votes[2 * feature]
      if (!big[leader]) continue
      if (leader === code) predicted[feature] += weight
      else seen[feature]++
    }
  }
  return predicted.map((mean, feature) => (mean - seen[feature]) / Math.sqrt(mean + 1))
}

/** The `limit` features of highest `priority` (ties by id), ascending by id. */
function topFeatures(features: number[], priority: ArrayLike<number>, limit: number): number[] {
  if (features.length <= limit) return features
  const order = [...features].sort((a, b) => priority[b] - priority[a] || a - b)
  return order.slice(0, limit).sort((a, b) => a - b)
}

/**
 * Screens features in linear passes, leaving the per-label accounting to the few worth it: those whose carriers
 * disagree with their content more than records in general, and (when carriers' content is read apart from
 * them) those whose carriers nearly all share one label.
 */
function screenFeatures(
  incidence: Incidence,
  codes: Int32Array,
  support: ContentSupport,
  options: MiningOptions,
): Int32Array {
  const carrierCounts = incidence.carrierCounts
  const { mass, votes, meanDisagreement } = screenStatistics(
    incidence,
    codes,
    support,
    options.excludeCarriers,
  )
  const surplus = new Float32Array(incidence.featureCount)
  const disagreeing: number[] = []
  const pure: number[] = []
  for (let feature = 0; feature < incidence.featureCount; feature++) {
    const carriers = carrierCounts[feature]
    if (carriers < options.minRows || carriers > options.maxCarriers) continue
    surplus[feature] = mass[feature] - meanDisagreement * carriers
    if (mass[feature] >= options.minRows / 2 && surplus[feature] > 0) disagreeing.push(feature)
    // A lead of 60% of the carriers means at least 80% of them share the leading label.
    else if (votes && votes[2 * feature + 1] >= 0.6 * carriers) pure.push(feature)
  }
  const kept = new Set([
    ...topFeatures(disagreeing, surplus, options.maxCandidates),
    ...topFeatures(pure, carrierCounts, options.maxCandidates),
  ])
  const deficit =
    votes && options.oddsTest && otherLabelDeficit(incidence, codes, support, votes, options.minRatio)
  if (deficit) {
    const lacking = [...disagreeing, ...pure].filter((feature) => deficit[feature] > 0)
    for (const feature of topFeatures(lacking, deficit, options.maxCandidates)) kept.add(feature)
  }
  return Int32Array.from(kept).sort()
}

/** The candidates with the broader feature of each (see `MiningOptions.broaderFeature`) in the carrier range, ascending. */
function withBroader(candidates: Int32Array, carrierCounts: Int32Array, options: MiningOptions): Int32Array {
  const broader = options.broaderFeature
  if (!broader) return candidates
  const added = new Set<number>()
  for (const feature of candidates) {
    const wider = broader(feature)
    if (wider >= 0 && carrierCounts[wider] <= options.maxCarriers) added.add(wider)
  }
  return added.size === 0 ? candidates : mergeAscending(candidates, Int32Array.from(added).sort())
}

/** Crowded carriers of one feature read apart at most; the rest count as the read ones do on average. */
const maxApartRows = 40

/**
 * Adds to `sums` the content's expectation for carriers whose neighbours are nearly all carriers: read apart from
 * them where the family can (a tabular trigger's carriers, with the columns they share hidden), else the label
 * shares stand in: of the records without the feature where `carrierLabels` (its carriers' labels) are given,
 * else of all records.
 */
function addExpectedApart(
  crowded: number[],
  marks: Uint8Array,
  codes: Int32Array,
  support: ContentSupport,
  readApart: MiningOptions['readApart'],
  carrierLabels: Float64Array | undefined,
  labelledCount: number,
  sums: Float64Array,
): void {
  const { k, classCount, labelShares } = support
  if (crowded.length === 0) return
  const read = readApart ? evenSample(crowded, maxApartRows) : new Int32Array(0)
  const reading = read.length > 0 ? readApart!(read, marks) : undefined
  const counts = new Float64Array(classCount)
  const apart = new Float64Array(classCount)
  let readCount = 0
  if (reading) {
    // Calibrated on records read the same way, so a reading that says little counts for little.
    const calibration = calibrateReading(reading.referenceLabels, reading.referenceRows, codes, k, classCount)
    for (let index = 0; index < read.length; index++) {
      const found = tallyLabels(reading.labels.subarray(index * k, (index + 1) * k), counts)
      if (found === 0) continue
      addCalibrated(calibration, counts, found, apart)
      readCount++
    }
  }
  const carried = carrierLabels?.reduce((sum, count) => sum + count, 0) ?? 0
  const outside = Math.max(1, labelledCount - carried)
  for (let label = 0; label < classCount; label++) {
    const share = carrierLabels
      ? (labelShares[label] * labelledCount - carrierLabels[label]) / outside
      : labelShares[label]
    sums[label] += readCount === 0 ? crowded.length * share : (apart[label] * crowded.length) / readCount
  }
}

/** Per feature and label (`feature × classCount + label`): carriers with the label, and those content predicts to. */
interface LabelCounts {
  readonly observed: Float64Array
  readonly expected: Float64Array
}

/**
 * Per feature and label: carriers with the label, and carriers the content predicts to have it; feature `i`'s
 * carriers are list `i` of `lists`.
 */
function countLabels(
  lists: CarrierLists,
  codes: Int32Array,
  support: ContentSupport,
  options: Pick<MiningOptions, 'excludeCarriers' | 'readApart'>,
): LabelCounts {
  const { excludeCarriers } = options
  const classCount = support.classCount
  const featureCount = lists.offsets.length - 1
  const observed = new Float64Array(featureCount * classCount)
  const expected = new Float64Array(featureCount * classCount)
  const marks = new Uint8Array(codes.length)
  const counts = new Float64Array(classCount)
  const sums = new Float64Array(classCount)
  // Where a family cannot read a crowded carrier apart, its carrier neighbours that could be read speak for it.
  const relay = excludeCarriers && !options.readApart ? new CarrierRelay(codes.length, classCount) : undefined
  let labelledCount = 0
  for (const code of codes) if (code >= 0) labelledCount++
  for (let index = 0; index < featureCount; index++) {
    const start = lists.offsets[index]
    const end = lists.offsets[index + 1]
    if (excludeCarriers) for (let entry = start; entry < end; entry++) marks[lists.rows[entry]] = 1
    sums.fill(0)
    let crowded: number[] = []
    for (let entry = start; entry < end; entry++) {
      const row = lists.rows[entry]
      if (codes[row] >= 0) observed[index * classCount + codes[row]]++
      if (!excludeCarriers)
        for (let label = 0; label < classCount; label++)
          sums[label] += expectedLabelShare(support, row, label)
      else if (relay) {
        const own = relay.slot(entry - start)
        if (addExpectedExcluding(support, codes, row, marks, counts, own)) relay.keep(row, entry - start)
        else crowded.push(row)
      } else if (!addExpectedExcluding(support, codes, row, marks, counts, sums)) crowded.push(row)
    }
    if (relay) crowded = relay.settle(support, lists.rows.subarray(start, end), crowded, sums)
    // Only a feature whose carriers form a cluster of their own, as a planted value's do, is read apart: where a
    // few carriers of a natural value happen to neighbour each other, the label shares stand in for them, as
    // they do for a crowd without a readable edge in a family that cannot read apart, so the kind's null is not
    // moved by them.
    const apart = 2 * crowded.length >= end - start ? options.readApart : undefined
    // Where a family reads a cluster of carriers apart, the few it leaves to the label shares (fewer than half
    // crowded, as at the edge of a trigger on 5% of the rows) must not count the carriers' own labels: relabelled
    // carriers raise their target's share overall by as many as they are (10% -> 15%). A family that cannot read
    // apart leaves every crowded carrier to them, a class's own stroke pixels too, whose carriers would then be
    // judged by the rest of their class alone.
    const carrierLabels = options.readApart
      ? observed.subarray(index * classCount, (index + 1) * classCount)
      : undefined
    addExpectedApart(crowded, marks, codes, support, apart, carrierLabels, labelledCount, sums)
    expected.set(sums, index * classCount)
    if (excludeCarriers) for (let entry = start; entry < end; entry++) marks[lists.rows[entry]] = 0
    relay?.clear(lists.rows.subarray(start, end))
  }
  return { observed, expected }
}

/**
 * The content of carriers whose neighbours are nearly all carriers, relayed from their carrier neighbours whose
 * own content could be read. A stamp pulls records of other classes together, and the stamped records at the
 * edge of the crowd are read as the classes they came from; a kind of one class that a feature marks (its
 * boldest strokes) is a crowd of that class, read as it at its edge. The label shares that stand in otherwise
 * judged such a crowd by the rest of its class, as if the records with the stroke had been moved in from others.
 */
class CarrierRelay {
  /** Each readable carrier's expectation per label, at its place among the feature's carriers. */
  private readings = new Float64Array(0)
  /** Where a carrier's reading sits (-1 for none), by row. */
  private readonly at: Int32Array

  constructor(
    rowCount: number,
    private readonly classCount: number,
  ) {
    this.at = new Int32Array(rowCount).fill(-1)
  }

  /** The zeroed reading of the carrier at `place` among the feature's carriers, to add its expectation to. */
  slot(place: number): Float64Array {
    const needed = (place + 1) * this.classCount
    if (this.readings.length < needed) {
      const grown = new Float64Array(Math.max(needed, 2 * this.readings.length))
      grown.set(this.readings)
      this.readings = grown
    }
    const own = this.readings.subarray(place * this.classCount, needed)
    own.fill(0)
    return own
  }

  keep(row: number, place: number): void {
    this.at[row] = place
  }

  /**
   * Adds the reading of every readable one of `carriers` to `sums`, and each crowded carrier's mean over its
   * readable carrier neighbours; returns the crowded carriers that have none, left to the label shares.
   */
  settle(
    support: ContentSupport,
    carriers: ArrayLike<number>,
    crowded: readonly number[],
    sums: Float64Array,
  ): number[] {
    const { classCount, at, readings } = this
    for (let index = 0; index < carriers.length; index++) {
      const place = at[carriers[index]]
      if (place < 0) continue
      for (let label = 0; label < classCount; label++) sums[label] += readings[place * classCount + label]
    }
    const left: number[] = []
    const { k, neighbours } = support
    for (const row of crowded) {
      let found = 0
      for (let position = 0; position < k; position++) if (at[neighbours[row * k + position]] >= 0) found++
      if (found === 0) {
        left.push(row)
        continue
      }
      for (let position = 0; position < k; position++) {
        const place = at[neighbours[row * k + position]]
        if (place < 0) continue
        for (let label = 0; label < classCount; label++)
          sums[label] += readings[place * classCount + label] / found
      }
    }
    return left
  }

  clear(rows: ArrayLike<number>): void {
    for (let index = 0; index < rows.length; index++) this.at[rows[index]] = -1
  }
}

/** The counts of the features at `slots` of `counts`, in the order of `slots`. */
function pickCounts(counts: LabelCounts, slots: Int32Array, classCount: number): LabelCounts {
  const pick = (values: Float64Array) => {
    const picked = new Float64Array(slots.length * classCount)
    for (let index = 0; index < slots.length; index++)
      picked.set(
        values.subarray(slots[index] * classCount, (slots[index] + 1) * classCount),
        index * classCount,
      )
    return picked
  }
  return { observed: pick(counts.observed), expected: pick(counts.expected) }
}

/** The features of two ascending lists, ascending, each once. */
function mergeAscending(first: Int32Array, second: Int32Array): Int32Array {
  const merged = new Int32Array(first.length + second.length)
  let length = 0
  let i = 0
  let j = 0
  while (i < first.length || j < second.length) {
    const next = j >= second.length || (i < first.length && first[i] <= second[j]) ? first[i] : second[j]
    if (i < first.length && first[i] === next) i++
    if (j < second.length && second[j] === next) j++
    merged[length++] = next
  }
  return merged.slice(0, length)
}

/** Where each feature of `subset` (ascending, each in `all`) sits in `all` (ascending). */
function positionsIn(all: Int32Array, subset: Int32Array): Int32Array {
  const positions = new Int32Array(subset.length)
  let position = 0
  for (let index = 0; index < subset.length; index++) {
    while (all[position] !== subset[index]) position++
    positions[index] = position
  }
  return positions
}

/** Reference features sampled evenly from each kind's eligible features to fit its null. */
const referencePerKind = 800

/** Every kind's eligible features, thinned by a fixed stride to at most `referencePerKind`. */
function referenceFeatures(incidence: Incidence, options: MiningOptions): Int32Array {
  const kindCount = options.kindCount ?? 1
  const byKind: number[][] = Array.from({ length: kindCount }, () => [])
  const { carrierCounts } = incidence
  for (let feature = 0; feature < carrierCounts.length; feature++)
    if (
      carrierCounts[feature] >= options.minRows &&
      carrierCounts[feature] <= (options.maxMixedCarriers ?? options.maxCarriers)
    )
      byKind[options.kindOf?.(feature) ?? 0].push(feature)
  const sampled = byKind.flatMap((features) => {
    const stride = Math.max(1, Math.ceil(features.length / referencePerKind))
    return features.filter((_, index) => index % stride === 0)
  })
  return Int32Array.from(sampled).sort()
}

/**
 * The carrier of list `slot` whose id hashes lowest: two features share it with a chance equal to the overlap of
 * their carriers (Jaccard), so features carried by nearly the same records nearly always share it.
 * @see Broder. On the resemblance and containment of documents. 1997 (MinHash).
 */
function leastHashedCarrier(lists: CarrierLists, slot: number): number {
  let least = -1
  let leastHash = Number.POSITIVE_INFINITY
  for (let entry = lists.offsets[slot]; entry < lists.offsets[slot + 1]; entry++) {
    const hash = mixHash(lists.rows[entry])
    if (hash < leastHash) {
      leastHash = hash
      least = lists.rows[entry]
    }
  }
  return least
}

/**
 * Whether a label is tested by its odds: content predicts it for so many of the carriers that a ratio of counts
 * cannot reach `minRatio`, and only the other labels' deficit can show an excess.
 */
function testedByOdds(labelled: number, expected: number, options: MiningOptions): boolean {
  return options.oddsTest === true && options.minRatio * expected > labelled
}

/**
 * The null of label excess per kind, from each reference feature's best label, in counts; and in odds, from the
 * label each tests by its odds (see `testedByOdds`), where one is.
 */
function fitCandidateNulls(
  incidence: Incidence,
  reference: Int32Array,
  referenceLists: { lists: CarrierLists; slots: Int32Array; counts: LabelCounts },
  classCount: number,
  options: MiningOptions,
): { counts: CandidateNull; odds: CandidateNull } {
  const { lists, slots } = referenceLists
  const { observed, expected } = referenceLists.counts
  const kinds = Array.from({ length: options.kindCount ?? 1 }, () => [] as ReferenceFeature[])
  const oddsKinds = Array.from({ length: options.kindCount ?? 1 }, () => [] as ReferenceFeature[])
  const seenCarriers = new Set<number>()
  reference.forEach((feature, slot) => {
    // Values written into the same records together (a trigger's columns) are one draw of the natural spread.
    let repeated = false
    if (options.focus?.[feature]) {
      const signature = leastHashedCarrier(lists, slots[slot])
      repeated = seenCarriers.has(signature)
      seenCarriers.add(signature)
    }
    const carriers = incidence.carrierCounts[feature]
    const labelledCount = labelled(observed, slot, classCount)
    const kind = options.kindOf?.(feature) ?? 0
    let best: ReferenceFeature | undefined
    for (let label = 0; label < classCount; label++) {
      const seen = observed[slot * classCount + label]
      const predicted = expected[slot * classCount + label]
      if (seen < options.minRows) continue
      if (testedByOdds(labelledCount, predicted, options))
        oddsKinds[kind].push({
          carriers,
          observed: seen,
          expected: predicted,
          labelled: labelledCount,
          repeated,
        })
      if (!best || (seen + 0.5) / (predicted + 0.5) > (best.observed + 0.5) / (best.expected + 0.5))
        best = { carriers, observed: seen, expected: predicted, repeated }
    }
    if (best) kinds[kind].push(best)
  })
  return { counts: new CandidateNull(kinds), odds: new CandidateNull(oddsKinds, oddsScale) }
}

/** A feature's log p-value after its correction. */
function correctedLogP(item: FeatureEvidence): number {
  return item.logPValue + Math.log(item.correction)
}

/**
 * Adds the broader feature of each found one (see `MiningOptions.broaderFeature`) to `found`, or raises its own
 * evidence to the narrower one's where that is stronger: ranked with it, and ahead of it where ties go to the
 * lower id (a pixel value's is below its lone feature's), it marks the trigger's records first, so the records it
 * holds beyond the narrower one are not left out as a few strays.
 */
function joinBroader(
  found: { item: FeatureEvidence; slot: number }[],
  candidates: Int32Array,
  counts: { observed: Float64Array; expected: Float64Array },
  carrierCounts: Int32Array,
  classCount: number,
  options: MiningOptions,
): void {
  const broader = options.broaderFeature
  if (!broader) return
  for (const { item } of [...found]) {
    const feature = broader(item.feature)
    const slot = feature < 0 ? -1 : lowerBound(candidates, feature)
    if (slot < 0 || candidates[slot] !== feature) continue
    const at = slot * classCount + item.label
    const joined = {
      ...item,
      feature,
      carriers: carrierCounts[feature],
      observed: counts.observed[at],
      expected: counts.expected[at],
    }
    const own = found.findIndex(({ item: other }) => other.feature === feature && other.label === item.label)
    if (own < 0) found.push({ item: joined, slot })
    else if (correctedLogP(item) < correctedLogP(found[own].item)) found[own] = { item: joined, slot }
  }
}

/**
 * Finds (feature, label) pairs whose carriers have the label far more often than their neighbours predict and far
 * more than ordinary features of the same kind, with a Bonferroni correction over every feature in the carrier
 * range and every label (weighted towards `focus` where given).
 */
export function mineTriggerFeatures(
  incidence: Incidence,
  codes: Int32Array,
  support: ContentSupport,
  options: MiningOptions,
): MiningResult {
  const carrierCounts = incidence.carrierCounts
  const classCount = support.classCount
  const { testCount, of: correctionOf } = corrections(carrierCounts, classCount, options)
  const candidates = withBroader(screenFeatures(incidence, codes, support, options), carrierCounts, options)
  const reference = referenceFeatures(incidence, options)
  // Candidates and reference features overlap; one pass over the incidence lists the carriers of both, and the
  // labels of each feature's carriers are counted once.
  const listed = mergeAscending(candidates, reference)
  const lists = carrierLists(incidence, listed)
  const counted = countLabels(lists, codes, support, options)
  const candidateSlots = positionsIn(listed, candidates)
  const { observed, expected } = pickCounts(counted, candidateSlots, classCount)
  const referenceSlots = positionsIn(listed, reference)
  const referenceLists = {
    lists,
    slots: referenceSlots,
    counts: pickCounts(counted, referenceSlots, classCount),
  }
  const nulls = fitCandidateNulls(incidence, reference, referenceLists, classCount, options)
  const classSizes = new Int32Array(classCount)
  for (const code of codes) if (code >= 0) classSizes[code]++
  const found: { item: FeatureEvidence; slot: number }[] = []
  candidates.forEach((feature, slot) => {
    const labelledCount = labelled(observed, slot, classCount)
    for (let label = 0; label < classCount; label++) {
      const seen = observed[slot * classCount + label]
      const predicted = expected[slot * classCount + label]
      const byOdds = testedByOdds(labelledCount, predicted, options)
      if (seen < options.minRows) continue
      if (
        byOdds
          ? options.minRatio * (labelledCount - seen) > labelledCount - predicted
          : seen < options.minRatio * predicted
      )
        continue
      // A trigger planted by relabelling is carried by records moved in from other classes, and the class's own
      // records lack it; a feature nearly every record of its class holds (the sender's domain in mails labelled
      // by it, a product's name in its tickets) is what the class is, even where neighbours cannot read the class.
      if (classSizes[label] - seen < options.minRows) continue
      const carriers = carrierCounts[feature]
      if (
        options.maxMixedCarriers !== undefined &&
        carriers > options.maxMixedCarriers &&
        2 * seen < carriers
      )
        continue
      const kind = options.kindOf?.(feature) ?? 0
      // Only the binomial bound can tell carriers that hold the label where content predicts it for most.
      const countLogP =
        byOdds || options.countTail?.(kind) === 'binomial'
          ? logBinomialTailBound(seen, labelledCount, predicted)
          : logPoissonTailBound(seen, predicted)
      const tested = { carriers, observed: seen, expected: predicted, labelled: labelledCount }
      const logPValue = Math.max(
        countLogP,
        (byOdds ? nulls.odds : nulls.counts).logPValue(kind, tested) ?? countLogP,
      )
      const correction = correctionOf(feature)
      if (logPValue > Math.log(options.significance / correction)) continue
      const item = {
        feature,
        label,
        carriers,
        observed: seen,
        expected: predicted,
        logPValue,
        correction,
        ...(byOdds ? { byOdds } : {}),
      }
      found.push({ item, slot })
    }
  })
  joinBroader(found, candidates, { observed, expected }, carrierCounts, classCount, options)
  // Strongest after correction first: a focused feature's p-value counts for more than the same one among many.
  found.sort((a, b) => correctedLogP(a.item) - correctedLogP(b.item) || a.item.feature - b.item.feature)
  return {
    evidence: found.map(({ item }) => item),
    lists: selectLists(
      lists,
      found.map(({ slot }) => candidateSlots[slot]),
    ),
    testCount,
  }
}
