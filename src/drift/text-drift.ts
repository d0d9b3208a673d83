import { type PermutationPValue, permutationPValue } from '../stats/permutation.js'
import { hypergeometricUpperTail } from '../stats/tails.js'
import { type Rng, shuffledIndices } from '../util/rng.js'
import { jensenShannonDivergence } from './categorical.js'
import {
  concatenateCorpora,
  documentFrequencies,
  selectDocuments,
  type TokenizedCorpus,
  topTokens,
} from './tokens.js'

export interface TokenShare {
  token: string
  /** Share of reference documents holding the token, in [0,1]. */
  referenceShare: number
  /** Share of batch documents holding the token, in [0,1]. */
  batchShare: number
}

export interface TokenShiftOptions {
  rng: Rng
  /** Tokens in the table, by pooled document frequency; default 100. */
  topTokens?: number
  /** Default 200. */
  permutations?: number
  /** Documents drawn from each side for the test; default 5,000. */
  maxDocumentsPerSide?: number
}

export interface TokenShiftResult extends PermutationPValue {
  /** χ² of the 2 × (k + 1) table of token occurrences (top k tokens and the rest); larger = more shift. */
  statistic: number
  /** Jensen–Shannon divergence, in bits, of the two token-occurrence distributions. */
  jensenShannon: number
  /** The top tokens whose document share changed most. */
  changed: TokenShare[]
  referenceDocuments: number
  batchDocuments: number
}

/** χ² of two count rows with known column totals: `counts` is one row, `totals − counts` the other. */
function twoRowChiSquare(
  counts: Float64Array,
  totals: Float64Array,
  rowTotal: number,
  grandTotal: number,
): number {
  const share = rowTotal / grandTotal
  let statistic = 0
  for (let col = 0; col < counts.length; col++) {
    if (totals[col] === 0) continue
    const expected = totals[col] * share
    const otherExpected = totals[col] - expected
    const difference = counts[col] - expected
    statistic += (difference * difference) / expected + (difference * difference) / otherExpected
  }
  return statistic
}

/**
 * Each document as the slots (0..k−1) of the top tokens it holds (CSR) and the number of its other tokens, which
 * all count towards slot k.
 */
interface SlotTable {
  readonly offsets: Int32Array
  readonly slots: Int32Array
  readonly others: Float64Array
  readonly width: number
}

function buildSlotTable(pooled: TokenizedCorpus, top: Int32Array): SlotTable {
  const slotOf = new Int32Array(pooled.vocabulary.tokens.length).fill(-1)
  top.forEach((token, slot) => {
    slotOf[token] = slot
  })
  const offsets = new Int32Array(pooled.documentCount + 1)
  // Sized for every token, trimmed after: no growing list of numbers to copy and collect.
  const slots = new Int32Array(pooled.offsets[pooled.documentCount])
  let slotCount = 0
  const others = new Float64Array(pooled.documentCount)
  for (let document = 0; document < pooled.documentCount; document++) {
    for (let index = pooled.offsets[document]; index < pooled.offsets[document + 1]; index++) {
      const slot = slotOf[pooled.tokens[index]]
      if (slot >= 0) slots[slotCount++] = slot
      else others[document]++
    }
    offsets[document + 1] = slotCount
  }
  return { offsets, slots: slots.slice(0, slotCount), others, width: top.length + 1 }
}

function sumDocuments(table: SlotTable, documents: ArrayLike<number>): Float64Array {
  // Counted in integers, which hold every count a corpus can reach and add faster than doubles: the same sums.
  const counts = new Int32Array(table.width)
  const { offsets, slots } = table
  let others = 0
  for (let index = 0; index < documents.length; index++) {
    const document = documents[index]
    for (let k = offsets[document]; k < offsets[document + 1]; k++) counts[slots[k]]++
    others += table.others[document]
  }
  const sums = Float64Array.from(counts)
  sums[table.width - 1] += others
  return sums
}

function total(values: Float64Array): number {
  let sum = 0
  for (const value of values) sum += value
  return sum
}

/** χ² of `memberCount` documents drawn at random without replacement, `permutations` times. */
function permutedStatistics(
  table: SlotTable,
  documentCount: number,
  memberCount: number,
  totals: Float64Array,
  permutations: number,
  rng: Rng,
): Float64Array {
  const grandTotal = total(totals)
  const permuted = new Float64Array(permutations)
  const order = Int32Array.from({ length: documentCount }, (_, index) => index)
  for (let permutation = 0; permutation < permutations; permutation++) {
    // A partial Fisher–Yates shuffle: the first memberCount entries are a uniform random subset.
    for (let index = 0; index < memberCount; index++) {
      const swap = index + rng.int(documentCount - index)
      const held = order[index]
      order[index] = order[swap]
      order[swap] = held
    }
    const counts = sumDocuments(table, order.subarray(0, memberCount))
    permuted[permutation] = twoRowChiSquare(counts, totals, total(counts), grandTotal)
  }
  return permuted
}

/** At most `maxDocuments` documents of a corpus, at random (the corpus itself when it is small enough). */
function subsample(corpus: TokenizedCorpus, maxDocuments: number, rng: Rng): TokenizedCorpus {
  if (corpus.documentCount <= maxDocuments) return corpus
  return selectDocuments(corpus, shuffledIndices(corpus.documentCount, rng).subarray(0, maxDocuments))
}

function changedTokens(
  top: Int32Array,
  tokens: readonly string[],
  referenceCounts: Float64Array,
  batchCounts: Float64Array,
  documents: { reference: number; batch: number },
): TokenShare[] {
  return Array.from(
    top,
    (token, slot): TokenShare => ({
      token: tokens[token],
      referenceShare: referenceCounts[slot] / Math.max(documents.reference, 1),
      batchShare: batchCounts[slot] / Math.max(documents.batch, 1),
    }),
  )
    .sort((a, b) => Math.abs(b.batchShare - b.referenceShare) - Math.abs(a.batchShare - a.referenceShare))
    .slice(0, 5)
}

/**
 * Token-distribution shift: χ² over the occurrences of the most frequent tokens (and all others pooled), with
 * Jensen–Shannon divergence as the effect size. Tokens of one document are not independent, so the χ²
 * reference distribution would overstate significance; the p-value comes from permuting documents instead.
 */
export function tokenDistributionTest(
  reference: TokenizedCorpus,
  batch: TokenizedCorpus,
  options: TokenShiftOptions,
): TokenShiftResult {
  const maxDocuments = options.maxDocumentsPerSide ?? 5000
  const referencePart = subsample(reference, maxDocuments, options.rng)
  const batchPart = subsample(batch, maxDocuments, options.rng)
  const documents = { reference: referencePart.documentCount, batch: batchPart.documentCount }
  const pooled = concatenateCorpora([referencePart, batchPart])
  const top = topTokens(documentFrequencies(pooled), options.topTokens ?? 100)
  const table = buildSlotTable(pooled, top)
  const all = Int32Array.from({ length: pooled.documentCount }, (_, index) => index)
  const totals = sumDocuments(table, all)
  const batchCounts = sumDocuments(table, all.subarray(documents.reference))
  const referenceCounts = totals.map((sum, col) => sum - batchCounts[col])
  const grandTotal = total(totals)
  const base = {
    jensenShannon: jensenShannonDivergence(referenceCounts, batchCounts),
    changed: changedTokens(top, pooled.vocabulary.tokens, referenceCounts, batchCounts, documents),
    referenceDocuments: documents.reference,
    batchDocuments: documents.batch,
  }
  if (grandTotal === 0 || documents.reference === 0 || documents.batch === 0)
    return { ...base, statistic: 0, pValue: 1, exceedances: 0, permutations: 0 }
  const statistic = twoRowChiSquare(batchCounts, totals, total(batchCounts), grandTotal)
  const permuted = permutedStatistics(
    table,
    pooled.documentCount,
    documents.batch,
    totals,
    options.permutations ?? 200,
    options.rng,
  )
  return { ...base, statistic, ...permutationPValue(statistic, permuted) }
}

export interface TokenBurst extends TokenShare {
  batchDocuments: number
  referenceDocuments: number
  /** One-sided Fisher exact p-value of this token alone (before the correction for testing many tokens). */
  pValue: number
}

export interface TokenBurstResult {
  /** Bonferroni-corrected smallest per-token p-value: is any token over-represented in the batch? */
  pValue: number
  /** Tokens tested (those in at least `minDocuments` batch documents). */
  tested: number
  /** The most significant bursts, strongest first. */
  bursts: TokenBurst[]
}

/**
 * New-token bursts: for every token in at least `minDocuments` batch documents, Fisher's exact test that the batch
 * holds more of the documents with it than its share of all documents; one answer per text column by Bonferroni
 * over the tokens tested. Exact under random assignment of documents to the two sides, whatever the texts.
 */
export function tokenBurstTest(
  referenceFrequencies: Int32Array,
  referenceDocuments: number,
  batchFrequencies: Int32Array,
  batchDocuments: number,
  tokens: readonly string[],
  options: { minDocuments?: number; maxListed?: number } = {},
): TokenBurstResult {
  const minDocuments = options.minDocuments ?? 3
  const population = referenceDocuments + batchDocuments
  const bursts: TokenBurst[] = []
  let tested = 0
  for (let token = 0; token < batchFrequencies.length; token++) {
    const inBatch = batchFrequencies[token]
    if (inBatch < minDocuments) continue
    tested++
    const inReference = token < referenceFrequencies.length ? referenceFrequencies[token] : 0
    const batchShare = inBatch / batchDocuments
    const referenceShare = referenceDocuments > 0 ? inReference / referenceDocuments : 0
    if (batchShare <= referenceShare) continue
    const pValue = hypergeometricUpperTail(inBatch, population, inBatch + inReference, batchDocuments)
    bursts.push({
      token: tokens[token],
      batchDocuments: inBatch,
      referenceDocuments: inReference,
      batchShare,
      referenceShare,
      pValue,
    })
  }
  bursts.sort((a, b) => a.pValue - b.pValue || b.batchDocuments - a.batchDocuments)
  const smallest = bursts.length > 0 ? bursts[0].pValue : 1
  return {
    pValue: Math.min(1, smallest * Math.max(tested, 1)),
    tested,
    bursts: bursts.slice(0, options.maxListed ?? 10),
  }
}
