import type { FeatureMatrix } from '../../data/matrix.js'
import { binomialUpperTail, logPoissonTailBound, normalSurvival } from '../../stats/tails.js'
import { evenSample } from '../../util/even-sample.js'

/** Class records read at most: enough to tell a poisoned share of a fifth from none. */
const maxQueries = 160
/** Carriers read at most; each read one is scored by what its content says with the trigger hidden. */
const maxCarriers = 400
/** Records searched for masked neighbours at most; every one when the dataset is smaller. */
const maxPool = 1500

/** The runs of columns `mask` leaves (0), ascending, as [start, end) pairs. */
export function keptColumnRuns(mask: Uint8Array): Int32Array {
  const runs: number[] = []
  for (let column = 0; column < mask.length; column++) {
    if (mask[column]) continue
    if (runs.length > 0 && runs[runs.length - 1] === column) runs[runs.length - 1] = column + 1
    else runs.push(column, column + 1)
  }
  return Int32Array.from(runs)
}

/** Columns summed between checks of the bound: a check per column cost as much as the sum. */
const boundCheckStride = 16

/**
 * Labels of `row`'s `k` nearest labelled records of `pool` (squared distance over the `kept` runs of columns, `row`
 * itself left out), nearest first, written to `labels` (-1 where the pool holds fewer), and their squared distances to
 * `best` where given.
 */
export function nearestLabels(
  features: FeatureMatrix,
  codes: Int32Array,
  pool: Int32Array,
  row: number,
  kept: Int32Array,
  labels: Int32Array,
  best = new Float64Array(labels.length),
): void {
  const { data, cols } = features
  const k = labels.length
  best.fill(Number.POSITIVE_INFINITY)
  labels.fill(-1)
  const own = row * cols
  for (const other of pool) {
    if (other === row || codes[other] < 0) continue
    const offset = other * cols - own
    const bound = best[k - 1]
    let distance = 0
    // Partial sums of squares only grow, so a record checked against the bound less often is rejected all the same.
    for (let run = 0; run < kept.length && distance < bound; run += 2) {
      const end = own + kept[run + 1]
      for (let column = own + kept[run]; column < end && distance < bound; ) {
        const stop = Math.min(end, column + boundCheckStride)
        for (; column < stop; column++) {
          const difference = data[column] - data[column + offset]
          distance += difference * difference
        }
      }
    }
    if (distance >= bound) continue
    let slot = k - 1
    while (slot > 0 && best[slot - 1] > distance) {
      best[slot] = best[slot - 1]
      labels[slot] = labels[slot - 1]
      slot--
    }
    best[slot] = distance
    labels[slot] = codes[other]
  }
}

/**
 * Labels of `row`'s nearest records (as many as `labels` holds, nearest first, -1 where none) with the trigger of
 * the carrier `maskedLike` hidden: a carrier is read with its own trigger hidden, another record with a carrier's.
 */
export type MaskedReading = (row: number, maskedLike: number, labels: Int32Array) => void

/**
 * Reading over the columns of `features`: squared distance over the columns a carrier's mask (`maskOf`) leaves, among
 * an even sample of the records.
 */
export function maskedColumnReading(
  features: FeatureMatrix,
  codes: Int32Array,
  maskOf: (row: number) => Uint8Array,
): MaskedReading {
  const pool = evenSample(
    Int32Array.from({ length: features.rows }, (_, row) => row),
    maxPool,
  )
  const kept = new Map<number, Int32Array>()
  return (row, maskedLike, labels) => {
    let runs = kept.get(maskedLike)
    if (!runs) {
      runs = keptColumnRuns(maskOf(maskedLike))
      kept.set(maskedLike, runs)
    }
    nearestLabels(features, codes, pool, row, runs, labels)
  }
}

/** Share of `row`'s `k` nearest records, read hidden like `maskedLike`, not labelled `label`; unlabelled ones do not count. */
function maskedDisagreement(
  read: MaskedReading,
  row: number,
  maskedLike: number,
  label: number,
  k: number,
): number {
  const labels = new Int32Array(k)
  read(row, maskedLike, labels)
  let found = 0
  let other = 0
  for (const code of labels) {
    if (code < 0) continue
    found++
    if (code !== label) other++
  }
  return found === 0 ? 0 : other / found
}

export interface MaskedContentTest {
  /** Carriers with the label read, and of them those whose masked neighbours mostly hold other labels. */
  readonly carriersRead: number
  readonly carriersElsewhere: number
  /** The same share among records of the label without the trigger, masked alike (smoothed). */
  readonly classElsewhereShare: number
  /** Mean share of those records' hidden neighbours that hold the label; NaN when the class has no such records. */
  readonly classAgreement: number
  /** Natural log of the chance that the carriers are as far from their label as the class's other records. */
  readonly logPValue: number
  /** The carriers read, and whether each one's hidden content mostly holds other labels (1) or not (0). */
  readonly rows: Int32Array
  readonly elsewhere: Uint8Array
  /** The carriers' mean agreement set against the class's and the other classes', where asked for. */
  readonly contrast?: AgreementContrast
}

/**
 * How much of the label the carriers' hidden neighbours hold on average, set against records of the label and
 * records of other labels without the trigger, hidden alike: a relabelled carrier reads as the class it came
 * from. Means, not counts of records read elsewhere: where the content left after hiding says little (a table
 * of five columns with three hidden), every record's neighbours are split near evenly and a threshold at half
 * hides a shift of the mean that hundreds of carriers still show.
 */
export interface AgreementContrast {
  readonly carrierAgreement: number
  readonly classAgreement: number
  readonly otherAgreement: number
  /** Natural log of the chance (normal tail of the difference of means) that carriers agree as little as the class. */
  readonly logPValue: number
  /**
   * The same for carriers that agreed as little as the other classes' records do, less `powerMargin` standard
   * errors: how small a p-value the test reaches for relabelled carriers nearly always. Where the content cannot
   * tell the class from the others, a large one.
   */
  readonly reachableLogPValue: number
  /**
   * Natural log of the chance that carriers read as the other classes' records agree as much as they do. Small for
   * a natural feature that makes its carriers' label: their label is explained by the feature, so without it they
   * look less like their class than its other records, yet more than records of the other classes do.
   */
  readonly aboveOthersLogPValue: number
}

function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  let mean = 0
  for (const value of values) mean += value / values.length
  let squares = 0
  for (const value of values) squares += (value - mean) ** 2
  return { mean, variance: squares / Math.max(1, values.length - 1) }
}

/**
 * Standard errors a reachable p-value keeps in hand (one-sided 95%): carriers that read as the other classes do
 * pass with one chance in twenty of falling short by their own counting noise, not with a coin's.
 */
const powerMargin = 1.645

/** Natural log of the normal upper tail at `z`, kept finite far out. */
function logNormalTail(z: number): number {
  return Math.log(Math.max(Number.MIN_VALUE, normalSurvival(z)))
}

/** Each set's mean agreement with the label (one value per record read), and the three tests between them. */
function contrastAgreement(
  carriers: readonly number[],
  own: readonly number[],
  others: readonly number[],
): AgreementContrast {
  const carried = meanAndVariance(carriers)
  const classOwn = meanAndVariance(own)
  const other = meanAndVariance(others)
  // Welch's standard error; a floor of one neighbour's share for sets whose agreement never varies.
  const error = (first: number, second: number) => Math.sqrt(Math.max(first + second, 1e-4))
  const carriedError = carried.variance / carriers.length
  const classError = classOwn.variance / own.length
  const otherError = other.variance / others.length
  return {
    carrierAgreement: carried.mean,
    classAgreement: classOwn.mean,
    otherAgreement: other.mean,
    logPValue: logNormalTail((classOwn.mean - carried.mean) / error(carriedError, classError)),
    // As many carriers as were read, each reading as a record of the other classes does.
    reachableLogPValue: logNormalTail(
      (classOwn.mean - other.mean) / error(other.variance / carriers.length, classError) - powerMargin,
    ),
    aboveOthersLogPValue: logNormalTail((carried.mean - other.mean) / error(carriedError, otherError)),
  }
}

/** What `maskedContentTest` reads, and how it judges the count. */
export interface MaskedContentOptions {
  readonly read: MaskedReading
  readonly codes: Int32Array
  readonly label: number
  /** Carriers with the label. */
  readonly carriers: ArrayLike<number>
  /** 1 for every record that carries the trigger with the label. */
  readonly carrierMarks: Uint8Array
  readonly k: number
  /**
   * The count's null: a Poisson tail bound (default), or the exact binomial tail of carriers read against the
   * class's share, where that share can be large.
   */
  readonly tail?: 'poisson' | 'binomial'
  /** Also read records of other labels hidden alike, and contrast the carriers' mean agreement with both. */
  readonly contrast?: boolean
}

/**
 * Whether a candidate trigger's carriers look like another class once the trigger is hidden. A backdoor relabels
 * records of other classes, whose rest of the content still belongs to them; a natural feature of one class (a
 * stroke the class alone fills) is carried by records that, without it, are still typical of their class. Carriers
 * with the label are compared with the class's own records without the feature, each hidden the same way, so
 * what the class's variation and any label noise explain is the baseline.
 */
export function maskedContentTest(options: MaskedContentOptions): MaskedContentTest {
  const { read, codes, label, carrierMarks, k } = options
  const queries = evenSample(options.carriers, maxCarriers)
  const others: number[] = []
  for (let row = 0; row < codes.length; row++)
    if (codes[row] === label && !carrierMarks[row]) others.push(row)
  const references = evenSample(others, maxQueries)
  const classAgreement = Array.from(
    references,
    (row, index) => 1 - maskedDisagreement(read, row, queries[index % queries.length], label, k),
  )
  // A record reads as elsewhere when its label holds less than half its hidden neighbours, or, where the class's
  // own records average less than that (a hundred classes of thirty records, whose neighbours are mostly of
  // other classes), less than the class's own average: otherwise the class reads as elsewhere as often as
  // relabelled carriers, and no trigger can be told from it.
  let meanAgreement = 0
  for (const share of classAgreement) meanAgreement += share / Math.max(1, classAgreement.length)
  const below = classAgreement.length === 0 ? 0.5 : Math.min(0.5, meanAgreement)
  const carrierAgreement = Array.from(queries, (row) => 1 - maskedDisagreement(read, row, row, label, k))
  const elsewhere = Uint8Array.from(carrierAgreement, (share) => (share < below ? 1 : 0))
  const carriersElsewhere = elsewhere.reduce((sum, value) => sum + value, 0)
  let classElsewhere = 0
  for (const share of classAgreement) if (share < below) classElsewhere++
  const classElsewhereShare = (classElsewhere + 1) / (references.length + 2)
  return {
    carriersRead: queries.length,
    carriersElsewhere,
    classElsewhereShare,
    classAgreement: classAgreement.length === 0 ? Number.NaN : meanAgreement,
    logPValue:
      options.tail === 'binomial'
        ? Math.log(
            Math.max(
              Number.MIN_VALUE,
              binomialUpperTail(carriersElsewhere, queries.length, classElsewhereShare),
            ),
          )
        : logPoissonTailBound(carriersElsewhere, queries.length * classElsewhereShare),
    rows: queries,
    elsewhere,
    ...(options.contrast
      ? {
          contrast: contrastAgreement(
            carrierAgreement,
            classAgreement,
            otherAgreement(options, queries, maxQueries),
          ),
        }
      : {}),
  }
}

/** Agreement with the label of up to `count` records of other labels that do not carry the trigger, hidden alike. */
function otherAgreement(options: MaskedContentOptions, queries: Int32Array, count: number): number[] {
  const { read, codes, label, carrierMarks, k } = options
  const others: number[] = []
  for (let row = 0; row < codes.length; row++)
    if (codes[row] >= 0 && codes[row] !== label && !carrierMarks[row]) others.push(row)
  return Array.from(
    evenSample(others, count),
    (row, index) => 1 - maskedDisagreement(read, row, queries[index % queries.length], label, k),
  )
}
