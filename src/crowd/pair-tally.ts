import { counts } from './em.js'
import type { AnnotationTable } from './types.js'

/** Per annotator pair (first < second), what they share; every array is indexed by pair slot. */
export interface PairTally {
  readonly first: Int32Array
  readonly second: Int32Array
  /** Items both answered. */
  readonly shared: Float64Array
  /** Items both answered with the same label. */
  readonly agreed: Float64Array
  /** Expected number of shared items where both gave the same wrong label (see `tallyPairs`). */
  readonly jointWrong: Float64Array
  /** The expected `jointWrong` were they honest and independent (see `tallyPairs`). */
  readonly expectedJointWrong: Float64Array
  /** Shared items both answered within the burst window of each other. */
  readonly closeInTime: Float64Array
  /** The expected `closeInTime` for answers spread independently over each annotator's active span. */
  readonly expectedCloseInTime: Float64Array
  readonly pairCount: number
}

/** Answer indices grouped by item (CSR): `order[start[i] .. start[i+1])` are item i's answers. */
export function groupAnswersBy(keys: Int32Array, keyCount: number): { start: Int32Array; order: Int32Array } {
  const start = new Int32Array(keyCount + 1)
  for (let a = 0; a < keys.length; a++) start[keys[a] + 1]++
  for (let key = 0; key < keyCount; key++) start[key + 1] += start[key]
  const fill = start.slice(0, keyCount)
  const order = new Int32Array(keys.length)
  for (let a = 0; a < keys.length; a++) order[fill[keys[a]]++] = a
  return { start, order }
}

/** r(l | c): the crowd's pooled share of wrong label l among wrong answers on items of class c (0 on l = c). */
function wrongLabelShares(confusionCounts: Float64Array, classCount: number): Float64Array {
  const block = classCount * classCount
  const pooled = new Float64Array(block)
  for (let index = 0; index < confusionCounts.length; index++) pooled[index % block] += confusionCounts[index]
  const shares = new Float64Array(block)
  for (let c = 0; c < classCount; c++) {
    let wrong = 0
    for (let l = 0; l < classCount; l++) if (l !== c) wrong += pooled[c * classCount + l]
    for (let l = 0; l < classCount; l++) {
      if (l === c) continue
      // With no wrong answers seen, assume they would spread evenly.
      shares[c * classCount + l] =
        wrong > 0 ? pooled[c * classCount + l] / wrong : 1 / Math.max(classCount - 1, 1)
    }
  }
  return shares
}

/** Growable per-pair columns behind a key → slot map. */
class PairColumns {
  readonly slots = new Map<number, number>()
  columns: Float64Array[] = Array.from({ length: 6 }, () => new Float64Array(64))
  firsts = new Int32Array(64)
  seconds = new Int32Array(64)

  constructor(private readonly annotatorCount: number) {}

  slot(first: number, second: number): number {
    const key = first * this.annotatorCount + second
    const found = this.slots.get(key)
    if (found !== undefined) return found
    const slot = this.slots.size
    if (slot === this.firsts.length) this.grow()
    this.slots.set(key, slot)
    this.firsts[slot] = first
    this.seconds[slot] = second
    return slot
  }

  private grow(): void {
    const size = this.firsts.length * 2
    const widen = <T extends Float64Array | Int32Array>(old: T, fresh: T): T => {
      fresh.set(old)
      return fresh
    }
    this.columns = this.columns.map((column) => widen(column, new Float64Array(size)))
    this.firsts = widen(this.firsts, new Int32Array(size))
    this.seconds = widen(this.seconds, new Int32Array(size))
  }
}

/** Each annotator's first and last answer time (NaN without times). */
function activeSpans(table: AnnotationTable): { from: Float64Array; to: Float64Array } {
  const { annotators } = counts(table)
  const from = new Float64Array(annotators).fill(Number.NaN)
  const to = new Float64Array(annotators).fill(Number.NaN)
  const time = table.time
  if (!time) return { from, to }
  for (let a = 0; a < time.length; a++) {
    const j = table.annotator[a]
    if (Number.isNaN(time[a])) continue
    if (!(from[j] <= time[a])) from[j] = time[a]
    if (!(to[j] >= time[a])) to[j] = time[a]
  }
  return { from, to }
}

/** What the pair statistics read from a fit on the whole crowd. */
export interface PairEvidenceInput {
  /** The fit's posteriors, itemCount × classCount. */
  readonly posterior: Float64Array
  /** The fit's P(label l | true k) per annotator, which the posteriors multiplied in. */
  readonly confusion: Float64Array
  /** Each annotator's error rate, in (0, 1). */
  readonly errorRate: Float64Array
  /** Soft confusion counts of every annotator, for the crowd's pooled choice of wrong labels. */
  readonly confusionCounts: Float64Array
}

/** The item's posterior with the two answers' own factors divided out, written into `scratch`. */
function withoutPair(
  input: PairEvidenceInput,
  table: AnnotationTable,
  i: number,
  a: number,
  b: number,
  scratch: Float64Array,
): Float64Array {
  const classes = scratch.length
  const base = (answer: number) => table.annotator[answer] * classes * classes + table.label[answer]
  let sum = 0
  for (let c = 0; c < classes; c++) {
    const own = input.confusion[base(a) + c * classes] * input.confusion[base(b) + c * classes]
    scratch[c] = input.posterior[i * classes + c] / own
    sum += scratch[c]
  }
  if (!(sum > 0) || !Number.isFinite(sum))
    scratch.set(input.posterior.subarray(i * classes, (i + 1) * classes))
  else for (let c = 0; c < classes; c++) scratch[c] /= sum
  return scratch
}

/**
 * Tallies every annotator pair over the items they share, item by item (cost: Σ answers per item squared × K²).
 * Joint wrong answers are counted softly: when both gave label l, the probability that l is wrong under the
 * posterior without the pair's own answers. Its expectation under the null sums, over the labels they could both
 * give, that probability times P(both give l); in the null each annotator is right at its own rate and picks a
 * wrong label as the crowd does. Times within `burstWindow` count as close; null rate 2·window over the longer
 * active span.
 */
export function tallyPairs(table: AnnotationTable, input: PairEvidenceInput, burstWindow: number): PairTally {
  const { items, annotators, classes } = counts(table)
  const wrongShare = wrongLabelShares(input.confusionCounts, classes)
  const { start, order } = groupAnswersBy(table.item, items)
  const { from, to } = activeSpans(table)
  const pairs = new PairColumns(annotators)
  const truth = new Float64Array(classes)
  // Null answer rates P(l | c) per annotator: right at its own rate, wrong as the crowd is wrong.
  const block = classes * classes
  const rate = new Float64Array(annotators * block)
  for (let j = 0; j < annotators; j++)
    for (let cell = 0; cell < block; cell++) {
      const right = Math.floor(cell / classes) === cell % classes
      rate[j * block + cell] = right ? 1 - input.errorRate[j] : input.errorRate[j] * wrongShare[cell]
    }
  for (let i = 0; i < items; i++) {
    for (let p = start[i]; p < start[i + 1]; p++) {
      for (let q = p + 1; q < start[i + 1]; q++) {
        let a = order[p]
        let b = order[q]
        if (table.annotator[a] === table.annotator[b]) continue
        if (table.annotator[a] > table.annotator[b]) [a, b] = [b, a]
        const j = table.annotator[a]
        const k = table.annotator[b]
        const slot = pairs.slot(j, k)
        const [shared, agreed, jointWrong, expected, close, expectedClose] = pairs.columns
        shared[slot]++
        withoutPair(input, table, i, a, b, truth)
        if (table.label[a] === table.label[b]) {
          agreed[slot]++
          jointWrong[slot] += 1 - truth[table.label[a]]
        }
        let expectedHere = 0
        for (let c = 0; c < classes; c++) {
          const rowJ = j * block + c * classes
          const rowK = k * block + c * classes
          let wrongBoth = 0
          for (let l = 0; l < classes; l++) wrongBoth += (1 - truth[l]) * rate[rowJ + l] * rate[rowK + l]
          expectedHere += truth[c] * wrongBoth
        }
        expected[slot] += expectedHere
        if (table.time && !Number.isNaN(table.time[a]) && !Number.isNaN(table.time[b])) {
          if (Math.abs(table.time[a] - table.time[b]) <= burstWindow) close[slot]++
          const span = Math.max(to[j] - from[j], to[k] - from[k], burstWindow)
          expectedClose[slot] += Math.min(1, (2 * burstWindow) / span)
        }
      }
    }
  }
  const pairCount = pairs.slots.size
  const [shared, agreed, jointWrong, expectedJointWrong, closeInTime, expectedCloseInTime] =
    pairs.columns.map((column) => column.slice(0, pairCount))
  return {
    first: pairs.firsts.slice(0, pairCount),
    second: pairs.seconds.slice(0, pairCount),
    shared,
    agreed,
    jointWrong,
    expectedJointWrong,
    closeInTime,
    expectedCloseInTime,
    pairCount,
  }
}
