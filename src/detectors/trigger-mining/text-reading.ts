import { evenSample } from '../../util/even-sample.js'
import type { Incidence } from './incidence.js'

/** Records a masked text is compared with at most; every one below this. */
const poolSize = 1500
/** Records the unmarked samples are drawn from: an even spread over all of them, so a draw costs no pass over every record. */
const spreadSize = 6000

/**
 * Nearest texts by their words and word pairs with some of them hidden: cosine similarity of binary bags weighted
 * by inverse document frequency, over an even sample of the records. A trigger phrase fills much of a short text,
 * so its carriers are each other's nearest records in the scan's geometry; read with the phrase hidden, a carrier
 * moved in from another class is read as that class.
 */
export class MaskedTextReader {
  private readonly pool: Int32Array
  private readonly weights: Float32Array
  private readonly norms: Float64Array
  /** Positions in `pool` of the pool's carriers of each feature, as compressed lists. */
  private readonly postingStarts: Int32Array
  private readonly postings: Int32Array
  private readonly scores: Float64Array
  private spread: Int32Array | undefined

  constructor(private readonly incidence: Incidence) {
    const { rowCount, featureCount, carrierCounts, indptr, features } = incidence
    this.pool = evenSample(
      Int32Array.from({ length: rowCount }, (_, row) => row),
      poolSize,
    )
    // Only the features the pool holds are ever weighed: a table over every hashed feature, filled where needed.
    this.weights = new Float32Array(featureCount)
    for (const row of this.pool)
      for (let at = indptr[row]; at < indptr[row + 1]; at++)
        this.weights[features[at]] = Math.log((rowCount + 1) / carrierCounts[features[at]])
    const starts = new Int32Array(featureCount + 1)
    for (const row of this.pool)
      for (let at = indptr[row]; at < indptr[row + 1]; at++) starts[features[at] + 1]++
    for (let feature = 0; feature < featureCount; feature++) starts[feature + 1] += starts[feature]
    const fill = starts.slice(0, featureCount)
    this.postings = new Int32Array(starts[featureCount])
    this.norms = new Float64Array(this.pool.length)
    this.pool.forEach((row, position) => {
      for (let at = indptr[row]; at < indptr[row + 1]; at++) {
        const feature = features[at]
        this.postings[fill[feature]++] = position
        this.norms[position] += this.weights[feature] ** 2
      }
    })
    this.postingStarts = starts
    this.scores = new Float64Array(this.pool.length)
  }

  /** Up to `count` records, evenly spread over all of them, that are labelled and not marked. */
  unmarkedSample(marks: Uint8Array, codes: Int32Array, count: number): Int32Array {
    this.spread ??= evenSample(
      Int32Array.from({ length: this.incidence.rowCount }, (_, row) => row),
      spreadSize,
    )
    return evenSample(
      this.spread.filter((row) => !marks[row] && codes[row] >= 0),
      count,
    )
  }

  /** The pool read with the features `hidden` holds left out of both sides. */
  hide(hidden: ReadonlySet<number>): MaskedTexts {
    const { postings, postingStarts, weights } = this
    const hiddenNorms = Float64Array.from(this.norms)
    for (const feature of hidden)
      for (let at = postingStarts[feature]; at < postingStarts[feature + 1]; at++)
        hiddenNorms[postings[at]] -= weights[feature] ** 2
    return {
      nearestLabels: (row, marks, codes, labels) =>
        this.nearestLabels(row, hidden, hiddenNorms, marks, codes, labels),
    }
  }

  /**
   * Labels of `row`'s `labels.length` nearest records of the pool that are not marked (nearest first, -1 where
   * fewer), with the features `hidden` holds left out of both sides (`hiddenNorms`: the pool's norms without them).
   */
  private nearestLabels(
    row: number,
    hidden: ReadonlySet<number>,
    hiddenNorms: Float64Array,
    marks: Uint8Array | undefined,
    codes: Int32Array,
    labels: Int32Array,
  ): void {
    const { indptr, features } = this.incidence
    const { scores, postings, postingStarts, weights, pool } = this
    scores.fill(0)
    let ownNorm = 0
    for (let at = indptr[row]; at < indptr[row + 1]; at++) {
      const feature = features[at]
      if (hidden.has(feature)) continue
      const weight = weights[feature] ** 2
      ownNorm += weight
      for (let entry = postingStarts[feature]; entry < postingStarts[feature + 1]; entry++)
        scores[postings[entry]] += weight
    }
    const k = labels.length
    const best = new Float64Array(k).fill(-1)
    labels.fill(-1)
    if (ownNorm <= 0) return
    for (let position = 0; position < pool.length; position++) {
      const other = pool[position]
      if (other === row || codes[other] < 0 || marks?.[other] || scores[position] <= 0) continue
      const similarity = scores[position] / Math.sqrt(ownNorm * Math.max(hiddenNorms[position], 1e-12))
      if (similarity <= best[k - 1]) continue
      let slot = k - 1
      while (slot > 0 && best[slot - 1] < similarity) {
        best[slot] = best[slot - 1]
        labels[slot] = labels[slot - 1]
        slot--
      }
      best[slot] = similarity
      labels[slot] = codes[other]
    }
  }
}

/** Texts read with some of their words hidden (see `MaskedTextReader.hide`). */
export interface MaskedTexts {
  /** Labels of `row`'s `labels.length` nearest records that are not marked, nearest first, -1 where fewer. */
  nearestLabels(row: number, marks: Uint8Array | undefined, codes: Int32Array, labels: Int32Array): void
}
