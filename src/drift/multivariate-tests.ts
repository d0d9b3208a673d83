import type { Rng } from '../util/rng.js'
import { gradeBy, type PendingTest, type TestScope } from './drift-tests.js'
import type { MmdResult } from './mmd.js'
import { tokenBurstTest, tokenDistributionTest } from './text-drift.js'
import { documentFrequencies, type TokenizedCorpus } from './tokens.js'

function round(value: number, digits = 6): number {
  return Number.isFinite(value) ? Number(value.toPrecision(digits)) : value
}

function percent(share: number): string {
  return `${round(100 * share, 3)}%`
}

function scoped(scope: TestScope) {
  return {
    ...(scope.source !== undefined ? { source: scope.source } : {}),
    comparedWith: scope.comparedWith,
  }
}

export interface TextTestOptions {
  rng: Rng
  permutations: number
  topTokens: number
}

/** Token-distribution shift of a text column: χ² with a document-permutation p-value, JS as the effect size. */
export function tokenDistributionPending(
  column: string,
  reference: TokenizedCorpus,
  batch: TokenizedCorpus,
  scope: TestScope,
  options: TextTestOptions,
): PendingTest {
  const result = tokenDistributionTest(reference, batch, options)
  const changed = result.changed
    .slice(0, 3)
    .map((share) => `"${share.token}" ${percent(share.referenceShare)} → ${percent(share.batchShare)}`)
    .join(', ')
  return {
    result: {
      id: `text:${column}:tokens${scope.suffix}`,
      test: 'token-distribution',
      target: 'text',
      column,
      ...scoped(scope),
      rows: { reference: result.referenceDocuments, batch: result.batchDocuments },
      method: `permutation (${result.permutations}${result.tailFit ? `, ${result.tailFit} tail` : ''})`,
      statistic: round(result.statistic),
      pValue: result.pValue,
      effects: { jensenShannon: round(result.jensenShannon) },
      explanation: `"${column}": the mix of its ${options.topTokens} commonest tokens changed (Jensen–Shannon ${round(result.jensenShannon, 3)} bits); documents holding ${changed}`,
      details: { changedTokens: result.changed },
    },
    grade: () => gradeBy(result.jensenShannon, 0.01, 0.05),
  }
}

/** New-token bursts of a text column: Fisher per token, Bonferroni over tokens. */
export function tokenBurstPending(
  column: string,
  reference: { frequencies: Int32Array; documents: number },
  batch: TokenizedCorpus,
  scope: TestScope,
): PendingTest {
  const result = tokenBurstTest(
    reference.frequencies,
    reference.documents,
    documentFrequencies(batch),
    batch.documentCount,
    batch.vocabulary.tokens,
  )
  const top = result.bursts[0]
  // Name only tokens that stand out after the correction for testing every token (and always the strongest).
  const standing = result.bursts.filter((burst, index) => index === 0 || burst.pValue * result.tested <= 0.05)
  const listed = standing
    .slice(0, 3)
    .map(
      (burst) =>
        `"${burst.token}" in ${percent(burst.batchShare)} of batch texts (reference ${percent(burst.referenceShare)})`,
    )
    .join(', ')
  return {
    result: {
      id: `text:${column}:bursts${scope.suffix}`,
      test: 'token-burst',
      target: 'text',
      column,
      ...scoped(scope),
      rows: { reference: reference.documents, batch: batch.documentCount },
      method: `fisher exact, bonferroni over ${result.tested} tokens`,
      statistic: top ? top.batchDocuments : 0,
      pValue: result.pValue,
      effects: {
        topBurstBatchShare: round(top?.batchShare ?? 0),
        topBurstReferenceShare: round(top?.referenceShare ?? 0),
      },
      explanation: top
        ? `"${column}": tokens over-represented in the batch: ${listed}`
        : `"${column}": no token bursts`,
      details: { bursts: result.bursts, testedTokens: result.tested },
    },
    // A token that is rare in the reference and in 5% of the batch is a campaign, a template or a trigger.
    grade: () => (top && top.referenceShare < 0.01 ? gradeBy(top.batchShare, 0.01, 0.05) : 'low'),
  }
}

/** Multivariate drift over all shared numeric features: an MMD result as a pending test. */
export function mmdPending(result: MmdResult, columns: number): PendingTest {
  const roots = result.statistics.map((value) => Math.sqrt(Math.max(0, value)))
  const largest = Math.max(0, ...roots)
  const widest = roots[0] ?? 0
  const narrow =
    roots.length > 1 && largest > widest
      ? ` and ${round(largest, 3)} at the narrowest width that sees it`
      : ''
  return {
    result: {
      id: 'features:mmd',
      test: 'mmd',
      target: 'features',
      comparedWith: 'reference',
      rows: { reference: result.referenceRows, batch: result.batchRows },
      method: `permutation (${result.permutations}${result.tailFit ? `, ${result.tailFit} tail` : ''}) on ${result.referenceRows} + ${result.batchRows} sampled rows${result.rounds.length > 1 ? ` (rounds of ${result.rounds.join(', ')} rows per side)` : ''}, ${result.bandwidths.length} kernel widths`,
      statistic: round(result.statistic),
      pValue: result.pValue,
      effects: { mmd: round(widest), mmdMax: round(largest) },
      explanation:
        `the joint distribution of the ${columns} numeric features differs: MMD ${round(widest, 3)} at the median ` +
        `width${narrow}${result.projected ? ` (${result.dimensions} random projections)` : ''}`,
      details: {
        bandwidths: result.bandwidths.map((value) => round(value)),
        statistics: result.statistics.map((value) => round(value)),
        aggregate: round(result.aggregate),
        dimensions: result.dimensions,
        projected: result.projected,
        rounds: result.rounds,
      },
    },
    // On standardised features an MMD of 0.03 is already a visible cluster (a 5% flood of near-copies), 0.1 a new
    // regime.
    grade: () => gradeBy(largest, 0.03, 0.1),
  }
}
