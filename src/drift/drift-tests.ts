import type { Severity } from '../domain/index.js'
import { compareCategories } from './categorical.js'
import type { ColumnSummary } from './columns.js'
import { populationStabilityIndex } from './distances.js'
import { compareCdfs, consumeRun, type EmpiricalDistribution, moments, quantileCurve } from './ecdf.js'
import { ksPValue } from './ks.js'
import type { DriftTestResult } from './types.js'

/** A test before the correction over all tests: everything but q, significance and severity. */
export interface PendingTest {
  result: Omit<DriftTestResult, 'qValue' | 'significant' | 'severity'>
  /** The test's own reading of its effect sizes, used once it is significant. */
  grade: () => Severity
}

/** Points of the CDF curves kept for plots: quantiles at 0, 2.5%, …, 100%. */
const CURVE_POINTS = 41

function round(value: number, digits = 6): number {
  return Number.isFinite(value) ? Number(value.toPrecision(digits)) : value
}

/** Grades by thresholds on one effect: high at or above `high`, medium at or above `medium`. */
export function gradeBy(value: number, medium: number, high: number): Severity {
  return value >= high ? 'high' : value >= medium ? 'medium' : 'low'
}

function worse(a: Severity, b: Severity): Severity {
  const order: Severity[] = ['low', 'medium', 'high']
  return order.indexOf(a) >= order.indexOf(b) ? a : b
}

export interface TestScope {
  /** Id prefix and suffix, e.g. `@alice` for a source. */
  suffix: string
  source?: string
  comparedWith: 'reference' | 'same-source'
}

/** Continuous feature: KS for the p-value; Wasserstein-1 (raw and in pooled σ), PSI and the mean shift beside it. */
export function numericFeatureTest(
  column: string,
  reference: ColumnSummary,
  batch: ColumnSummary,
  scope: TestScope,
  exactKsMaxProduct?: number,
): PendingTest {
  // One walk of both sorted samples gives the KS statistic and the Wasserstein distance.
  const cdfs = compareCdfs(reference.distribution, batch.distribution)
  const ks = {
    statistic: cdfs.maxDifference,
    location: cdfs.location,
    sign: cdfs.sign,
    ...ksPValue(cdfs.maxDifference, reference.distribution, batch.distribution, {
      exactMaxProduct: exactKsMaxProduct,
    }),
  }
  const distance = cdfs.area
  const psi = populationStabilityIndex(reference.distribution, batch.distribution).psi
  const referenceMoments = moments(reference.distribution)
  const batchMoments = moments(batch.distribution)
  const scale = Math.sqrt((referenceMoments.std ** 2 + batchMoments.std ** 2) / 2) || 1
  const effects = {
    ks: round(ks.statistic),
    wasserstein: round(distance),
    wassersteinStd: round(distance / scale),
    psi: round(psi),
    meanShiftStd: round((batchMoments.mean - referenceMoments.mean) / scale),
  }
  // sign > 0: the reference CDF is above the batch's there, so the batch has less of its mass below.
  const direction = ks.sign > 0 ? 'less' : 'more'
  const explanation =
    `"${column}": the CDFs differ by up to ${round(ks.statistic, 3)} at ${round(ks.location, 4)} (the batch has ${direction} ` +
    `mass below it); Wasserstein ${round(distance, 3)} (${round(effects.wassersteinStd, 2)} σ), PSI ${round(psi, 3)}`
  return {
    result: {
      id: `feature:${column}${scope.suffix}`,
      test: 'ks',
      target: 'feature',
      column,
      ...(scope.source !== undefined ? { source: scope.source } : {}),
      comparedWith: scope.comparedWith,
      rows: { reference: reference.distribution.count, batch: batch.distribution.count },
      method: ks.method,
      statistic: round(ks.statistic),
      pValue: ks.pValue,
      effects,
      explanation,
      details:
        scope.source === undefined
          ? { cdf: cdfCurves(reference.distribution, batch.distribution) }
          : undefined,
    },
    // PSI 0.1 / 0.25 are the usual "watch" and "act" levels; KS distances of 0.1 / 0.25 are as visible.
    grade: () => worse(gradeBy(psi, 0.1, 0.25), gradeBy(ks.statistic, 0.1, 0.25)),
  }
}

function cdfCurves(reference: EmpiricalDistribution, batch: EmpiricalDistribution) {
  return {
    probabilities: Array.from({ length: CURVE_POINTS }, (_, index) => round(index / (CURVE_POINTS - 1), 4)),
    reference: quantileCurve(reference, CURVE_POINTS).map((value) => round(value)),
    batch: quantileCurve(batch, CURVE_POINTS).map((value) => round(value)),
  }
}

/** Counts of each listed value in a sorted sample, plus a last slot for every other value. */
function countValues(distribution: EmpiricalDistribution, values: readonly number[]): Float64Array {
  const counts = new Float64Array(values.length + 1)
  const slot = new Map(values.map((value, index) => [value, index]))
  // Equal values are adjacent: one lookup per run of them, not per row.
  const run = { end: 0, weight: 0 }
  while (run.end < distribution.values.length) {
    const value = distribution.values[run.end]
    run.weight = 0
    consumeRun(distribution, run.end, run)
    counts[slot.get(value) ?? values.length] += run.weight
  }
  return counts
}

export interface CategoryComparisonInput {
  id: string
  test: 'chi-square' | 'label-prior' | 'source-mix'
  target: 'feature' | 'label' | 'source'
  column?: string
  names: readonly string[]
  referenceCounts: ArrayLike<number>
  batchCounts: ArrayLike<number>
  scope: TestScope
  /** What the categories are, for the explanation: "label", "source", "value of x". */
  noun: string
}

/** Categories (labels, sources, categorical features): χ² of homogeneity, Jensen–Shannon, Cramér's V, share changes. */
export function categoryTest(input: CategoryComparisonInput): PendingTest {
  const comparison = compareCategories(input.referenceCounts, input.batchCounts)
  const top = input.names[comparison.maxShareChangeCategory] ?? ''
  const before = comparison.referenceShares[comparison.maxShareChangeCategory] ?? 0
  const after = comparison.batchShares[comparison.maxShareChangeCategory] ?? 0
  const points = round(100 * (after - before), 3)
  const sum = (counts: ArrayLike<number>) => Array.from(counts).reduce((total, count) => total + count, 0)
  const explanation =
    `${input.noun} shares changed most for ${JSON.stringify(top)}: ${round(100 * before, 3)}% → ` +
    `${round(100 * after, 3)}% (${points >= 0 ? '+' : ''}${points} points); χ² = ${round(comparison.statistic, 4)} ` +
    `on ${comparison.degreesOfFreedom} df, Jensen–Shannon ${round(comparison.jensenShannon, 3)} bits`
  return {
    result: {
      id: input.id + input.scope.suffix,
      test: input.test,
      target: input.target,
      ...(input.column !== undefined ? { column: input.column } : {}),
      ...(input.scope.source !== undefined ? { source: input.scope.source } : {}),
      comparedWith: input.scope.comparedWith,
      rows: { reference: sum(input.referenceCounts), batch: sum(input.batchCounts) },
      method: `chi-square (${comparison.degreesOfFreedom} df)`,
      statistic: round(comparison.statistic),
      pValue: comparison.pValue,
      effects: {
        jensenShannon: round(comparison.jensenShannon),
        cramersV: round(comparison.cramersV),
        maxShareChange: round(comparison.maxShareChange),
      },
      explanation,
      details: {
        categories: [...input.names],
        referenceShares: Array.from(comparison.referenceShares, (share) => round(share)),
        batchShares: Array.from(comparison.batchShares, (share) => round(share)),
        referenceCounts: Array.from(input.referenceCounts),
        batchCounts: Array.from(input.batchCounts),
      },
    },
    // A class or source gaining 10 points of share is a different dataset; 3 points is worth a look.
    grade: () => gradeBy(comparison.maxShareChange, 0.03, 0.1),
  }
}

/** A whole-number feature with few values, compared as categories over the reference's values (plus "other"). */
export function categoricalFeatureTest(
  column: string,
  reference: ColumnSummary,
  batch: ColumnSummary,
  values: readonly number[],
  scope: TestScope,
): PendingTest {
  return categoryTest({
    id: `feature:${column}`,
    test: 'chi-square',
    target: 'feature',
    column,
    names: [...values.map(String), 'other'],
    referenceCounts: countValues(reference.distribution, values),
    batchCounts: countValues(batch.distribution, values),
    scope,
    noun: `"${column}" value`,
  })
}

/** Counts of names, aligned with `names` (the union of both sides, in first-seen order). */
export function countNames(
  referenceNames: Iterable<string>,
  batchNames: Iterable<string>,
): { names: string[]; referenceCounts: Float64Array; batchCounts: Float64Array } {
  const index = new Map<string, number>()
  const count = (names: Iterable<string>, into: number[]) => {
    for (const name of names) {
      let slot = index.get(name)
      if (slot === undefined) {
        slot = index.size
        index.set(name, slot)
      }
      into[slot] = (into[slot] ?? 0) + 1
    }
  }
  const referenceCounts: number[] = []
  const batchCounts: number[] = []
  count(referenceNames, referenceCounts)
  count(batchNames, batchCounts)
  const size = index.size
  return {
    names: [...index.keys()],
    referenceCounts: Float64Array.from({ length: size }, (_, slot) => referenceCounts[slot] ?? 0),
    batchCounts: Float64Array.from({ length: size }, (_, slot) => batchCounts[slot] ?? 0),
  }
}

/** A categorical column as codes into `names` (negative = missing), optionally only at `rows`. */
export interface CodedColumn {
  codes: ArrayLike<number>
  names: readonly string[]
  rows?: ArrayLike<number>
}

/** Per code, its count and the codes in first-seen order. */
function tallyCodes(column: CodedColumn): { counts: Float64Array; order: number[] } {
  const { codes, rows } = column
  const counts = new Float64Array(column.names.length)
  const order: number[] = []
  const rowCount = rows ? rows.length : codes.length
  for (let index = 0; index < rowCount; index++) {
    const code = codes[rows ? rows[index] : index]
    if (code >= 0 && counts[code]++ === 0) order.push(code)
  }
  return { counts, order }
}

/** `countNames` of two coded columns, counting codes instead of looking up a name per row. */
export function countCodes(
  reference: CodedColumn,
  batch: CodedColumn,
): { names: string[]; referenceCounts: Float64Array; batchCounts: Float64Array } {
  const columns = [reference, batch]
  const tallies = columns.map(tallyCodes)
  const slots = new Map<string, number>()
  columns.forEach((column, side) => {
    for (const code of tallies[side].order)
      if (!slots.has(column.names[code])) slots.set(column.names[code], slots.size)
  })
  const [referenceCounts, batchCounts] = columns.map((column, side) => {
    const aligned = new Float64Array(slots.size)
    for (const code of tallies[side].order)
      aligned[slots.get(column.names[code])!] = tallies[side].counts[code]
    return aligned
  })
  return { names: [...slots.keys()], referenceCounts, batchCounts }
}
