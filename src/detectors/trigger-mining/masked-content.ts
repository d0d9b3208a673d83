import type { FeatureMatrix } from '../../data/matrix.js'
import { binomialUpperTail, logPoissonTailBound } from '../../stats/tails.js'
import { evenSample } from '../../util/even-sample.js'

/** Class records read at most: enough to tell a poisoned share of a fifth from none. */
const maxQueries = 160
/** Carriers read at most; each read one is scored by what its content says with the trigger hidden. */
const maxCarriers = 400
/** Records searched for masked neighbours at most; every one when the dataset is smaller. */
const maxPool = 1500

/** The columns `mask` leaves (0), ascending. */
export function keptColumns(mask: Uint8Array): Int32Array {
  return Int32Array.from(mask.keys()).filter((column) => mask[column] === 0)
}

/**
 * Labels of `row`'s `k` nearest labelled records of `pool` (squared distance over the `kept` columns, `row` itself
 * left out), nearest first, written to `labels` (-1 where the pool holds fewer), and their squared distances to
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
    const base = other * cols
    let distance = 0
    for (let index = 0; index < kept.length && distance < best[k - 1]; index++) {
      const difference = data[own + kept[index]] - data[base + kept[index]]
      distance += difference * difference
    }
    if (distance >= best[k - 1]) continue
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
 * Share of `row`'s `k` nearest records (squared distance over the columns `mask` leaves, `row` itself left out)
 * that are not labelled `label`; unlabelled records do not count.
 */
function maskedDisagreement(
  features: FeatureMatrix,
  codes: Int32Array,
  pool: Int32Array,
  row: number,
  mask: Uint8Array,
  label: number,
  k: number,
): number {
  const labels = new Int32Array(k)
  nearestLabels(features, codes, pool, row, keptColumns(mask), labels)
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
}

/**
 * Whether a candidate trigger's carriers look like another class once the trigger is hidden. A backdoor relabels
 * records of other classes, whose rest of the content still belongs to them; a natural feature of one class (a
 * stroke the class alone fills) is carried by records that, without it, are still typical of their class. Carriers
 * with the label are compared with the class's own records without the feature, each hidden the same way, so
 * what the class's variation and any label noise explain is the baseline.
 */
export function maskedContentTest(options: {
  readonly features: FeatureMatrix
  readonly codes: Int32Array
  readonly label: number
  /** Carriers with the label. */
  readonly carriers: ArrayLike<number>
  /** 1 for every record that carries the trigger with the label. */
  readonly carrierMarks: Uint8Array
  /** The columns the trigger occupies in a carrier, 1 to hide. */
  readonly maskOf: (row: number) => Uint8Array
  readonly k: number
  /**
   * The count's null: a Poisson tail bound (default), or the exact binomial tail of carriers read against the
   * class's share, where that share can be large.
   */
  readonly tail?: 'poisson' | 'binomial'
}): MaskedContentTest {
  const { features, codes, label, carrierMarks, k } = options
  const queries = evenSample(options.carriers, maxCarriers)
  const others: number[] = []
  for (let row = 0; row < codes.length; row++)
    if (codes[row] === label && !carrierMarks[row]) others.push(row)
  const references = evenSample(others, maxQueries)
  const pool = evenSample(
    Int32Array.from({ length: features.rows }, (_, row) => row),
    maxPool,
  )
  const masks = Array.from(queries, (row) => options.maskOf(row))
  const classAgreement = Array.from(
    references,
    (row, index) => 1 - maskedDisagreement(features, codes, pool, row, masks[index % masks.length], label, k),
  )
  // A record reads as elsewhere when its label holds less than half its hidden neighbours, or, where the class's
  // own records average less than that (a hundred classes of thirty records, whose neighbours are mostly of
  // other classes), less than the class's own average: otherwise the class reads as elsewhere as often as
  // relabelled carriers, and no trigger can be told from it.
  let meanAgreement = 0
  for (const share of classAgreement) meanAgreement += share / Math.max(1, classAgreement.length)
  const below = classAgreement.length === 0 ? 0.5 : Math.min(0.5, meanAgreement)
  const elsewhere = Uint8Array.from(queries, (row, index) =>
    1 - maskedDisagreement(features, codes, pool, row, masks[index], label, k) < below ? 1 : 0,
  )
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
  }
}
