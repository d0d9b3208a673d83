import { chiSquareSurvival } from '../stats/tails.js'

export interface ChiSquareResult {
  /** Pearson's χ² statistic of the table; larger = the rows differ more. */
  statistic: number
  degreesOfFreedom: number
  pValue: number
  /** Cramér's V in [0,1]: √(χ² / (N · (min(rows, cols) − 1))), an effect size independent of N. */
  cramersV: number
}

/**
 * Pearson's χ² test of homogeneity (equivalently independence) of a contingency table given row-major with
 * `cols` columns; empty rows and columns carry no information and do not count towards the degrees of freedom.
 * No continuity correction (matches SciPy's `chi2_contingency(..., correction=False)`).
 */
export function chiSquareTest(table: ArrayLike<number>, cols: number): ChiSquareResult {
  const rows = table.length / cols
  const rowTotals = new Float64Array(rows)
  const colTotals = new Float64Array(cols)
  let total = 0
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const count = table[row * cols + col]
      rowTotals[row] += count
      colTotals[col] += count
      total += count
    }
  }
  const usedRows = rowTotals.filter((sum) => sum > 0).length
  const usedCols = colTotals.filter((sum) => sum > 0).length
  const degreesOfFreedom = (usedRows - 1) * (usedCols - 1)
  if (degreesOfFreedom <= 0 || total === 0)
    return { statistic: 0, degreesOfFreedom: 0, pValue: 1, cramersV: 0 }
  let statistic = 0
  for (let row = 0; row < rows; row++) {
    if (rowTotals[row] === 0) continue
    for (let col = 0; col < cols; col++) {
      if (colTotals[col] === 0) continue
      const expected = (rowTotals[row] * colTotals[col]) / total
      const difference = table[row * cols + col] - expected
      statistic += (difference * difference) / expected
    }
  }
  const cramersV = Math.sqrt(statistic / (total * (Math.min(usedRows, usedCols) - 1)))
  return { statistic, degreesOfFreedom, pValue: chiSquareSurvival(statistic, degreesOfFreedom), cramersV }
}

/** Normalises counts to shares; an all-zero vector stays zero. */
export function toShares(counts: ArrayLike<number>): Float64Array {
  let total = 0
  for (let index = 0; index < counts.length; index++) total += counts[index]
  const shares = new Float64Array(counts.length)
  if (total > 0) for (let index = 0; index < counts.length; index++) shares[index] = counts[index] / total
  return shares
}

/**
 * Jensen–Shannon divergence of two count (or probability) vectors, in bits: 0 for equal distributions, 1 for
 * disjoint ones. Its square root is a metric (SciPy's `jensenshannon` returns that root, natural log by default).
 */
export function jensenShannonDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const a = toShares(p)
  const b = toShares(q)
  let divergence = 0
  for (let index = 0; index < a.length; index++) {
    const mean = (a[index] + b[index]) / 2
    if (a[index] > 0) divergence += a[index] * Math.log2(a[index] / mean)
    if (b[index] > 0) divergence += b[index] * Math.log2(b[index] / mean)
  }
  return Math.max(0, divergence / 2)
}

export interface CategoricalComparison extends ChiSquareResult {
  /** Jensen–Shannon divergence of the two distributions, in bits, in [0,1]. */
  jensenShannon: number
  /** Largest absolute change of a category's share (batch − reference), in [0,1]. */
  maxShareChange: number
  /** Category whose share changed most. */
  maxShareChangeCategory: number
  referenceShares: Float64Array
  batchShares: Float64Array
}

/** Smallest expected count per cell for which χ²'s approximation is trusted; rarer categories are pooled. */
const MIN_EXPECTED = 5

/**
 * The 2 × k table of kept categories plus one pooled column; a pooled column still too small for χ² joins the
 * smallest kept category instead of standing alone.
 */
function pooledTable(
  referenceCounts: ArrayLike<number>,
  batchCounts: ArrayLike<number>,
  kept: number[],
  pooled: number[],
  total: number,
): [Float64Array, number] {
  const pooledCount = pooled[0] + pooled[1]
  const referenceTotal = pooled[0] + kept.reduce((sum, index) => sum + referenceCounts[index], 0)
  const batchTotal = total - referenceTotal
  const pooledExpected = (pooledCount * Math.min(referenceTotal, batchTotal)) / Math.max(total, 1)
  const ownColumn = pooledCount > 0 && (pooledExpected >= MIN_EXPECTED || kept.length === 0)
  const cols = kept.length + (ownColumn ? 1 : 0)
  const table = new Float64Array(2 * cols)
  kept.forEach((index, col) => {
    table[col] = referenceCounts[index]
    table[cols + col] = batchCounts[index]
  })
  let target = cols - 1
  if (!ownColumn && pooledCount > 0) {
    const sizes = kept.map((index) => referenceCounts[index] + batchCounts[index])
    target = sizes.indexOf(Math.min(...sizes))
  }
  if (pooledCount > 0) {
    table[target] += pooled[0]
    table[cols + target] += pooled[1]
  }
  return [table, cols]
}

/**
 * Compares the category counts of a batch with a reference's: χ² test of homogeneity on the 2 × k table, with
 * categories whose expected count in either row falls below 5 pooled into one, plus Jensen–Shannon divergence
 * and the largest change of a share (both on the unpooled categories).
 */
export function compareCategories(
  referenceCounts: ArrayLike<number>,
  batchCounts: ArrayLike<number>,
): CategoricalComparison {
  const k = referenceCounts.length
  let referenceTotal = 0
  let batchTotal = 0
  for (let index = 0; index < k; index++) {
    referenceTotal += referenceCounts[index]
    batchTotal += batchCounts[index]
  }
  const total = referenceTotal + batchTotal
  const kept: number[] = []
  const pooled = [0, 0]
  for (let index = 0; index < k; index++) {
    const pooledCount = referenceCounts[index] + batchCounts[index]
    const smallestExpected = (pooledCount * Math.min(referenceTotal, batchTotal)) / Math.max(total, 1)
    if (smallestExpected >= MIN_EXPECTED) kept.push(index)
    else {
      pooled[0] += referenceCounts[index]
      pooled[1] += batchCounts[index]
    }
  }
  const chiSquare = chiSquareTest(...pooledTable(referenceCounts, batchCounts, kept, pooled, total))
  const referenceShares = toShares(referenceCounts)
  const batchShares = toShares(batchCounts)
  let maxShareChange = 0
  let maxShareChangeCategory = 0
  for (let index = 0; index < k; index++) {
    const change = Math.abs(batchShares[index] - referenceShares[index])
    if (change > maxShareChange) {
      maxShareChange = change
      maxShareChangeCategory = index
    }
  }
  return {
    ...chiSquare,
    jensenShannon: jensenShannonDivergence(referenceCounts, batchCounts),
    maxShareChange,
    maxShareChangeCategory,
    referenceShares,
    batchShares,
  }
}
