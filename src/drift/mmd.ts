import type { FeatureMatrix } from '../data/matrix.js'
import { type PermutationPValue, permutationPValue } from '../stats/permutation.js'
import { binomialUpperTail } from '../stats/tails.js'
import { combineHashes } from '../util/hashing.js'
import { createRng, type Rng } from '../util/rng.js'
import { BANDWIDTH_SCALES, type GramMatrix, gramMatrix } from './mmd-gram.js'
import {
  medianSquaredDistance,
  memberLists,
  poolStandardised,
  sampleRows,
  splitStatistic,
  withinSums,
} from './mmd-kernel.js'
import { localWorkShare, type WorkShare } from './mmd-work.js'

/** Rows per side the MMD test samples by default: a 4,000 × 4,000 Gram matrix, about 1.5 s with 200 permutations. */
export const DEFAULT_MMD_ROWS_PER_SIDE = 2000

/** Rows per side of the first, cheap round of the adaptive test; each further round takes four times as many. */
export const FIRST_ROUND_ROWS_PER_SIDE = 500

/**
 * A round whose p-value is above this stops the adaptive test: samples this far from an alarm rarely turn into one
 * at four times the size, and no drift is the common case, so most checks pay for 1/16 of the full Gram matrix.
 */
const UNDECIDED_BELOW_P = 0.5

export interface MmdOptions {
  rng: Rng
  /** Permutations for the p-value; default 200. */
  permutations?: number
  /** Rows drawn at random from each side (the Gram matrix is quadratic in them); default 2,000. */
  maxRowsPerSide?: number
  /** Wider data is randomly projected to this many dimensions first; default 32. */
  maxDimensions?: number
  /**
   * Start with `FIRST_ROUND_ROWS_PER_SIDE` rows and take four times as many only while the answer is undecided
   * (default true); false samples `maxRowsPerSide` at once.
   */
  adaptive?: boolean
  /** Where the kernel work runs; default all on the calling thread. The result is the same either way. */
  share?: WorkShare
  /**
   * The level the p-value will be judged at (a Benjamini–Hochberg q-value is never below its p-value). When given,
   * the last round stops its permutations once the p-value is clearly above it; a p-value above it then comes from
   * fewer permutations.
   */
  alpha?: number
}

/** An MMD test as plain data, so another thread can run it and get the same result: the random numbers start at `seed`. */
export interface MmdJob {
  seed: number
  permutations: number
  maxRowsPerSide: number
  maxDimensions: number
  alpha?: number
}

/**
 * Runs MMD tests somewhere else, such as a worker thread, while the caller runs the per-column tests: `start`
 * returns at once, and the function it returns waits for the result, which equals `mmdTest` with a fresh
 * generator at `job.seed`.
 */
export interface MmdRunner {
  start(reference: FeatureMatrix, batch: FeatureMatrix, job: MmdJob): () => MmdResult
}

export interface MmdResult extends PermutationPValue {
  /** Unbiased estimate of MMD² at the median-heuristic bandwidth; about 0 without shift, larger = more different. */
  statistic: number
  /** MMD² at each bandwidth of `bandwidths`. */
  statistics: number[]
  /** Kernel widths σ of exp(−‖x − y‖² / 2σ²) on standardised features: the median distance, ½, ¼ and ⅛ of it. */
  bandwidths: number[]
  /** Largest standardised MMD² over the bandwidths: the aggregated statistic the p-value belongs to. */
  aggregate: number
  referenceRows: number
  batchRows: number
  /** Dimensions the kernel saw (after dropping constant columns and any projection). */
  dimensions: number
  projected: boolean
  /** Rows per side of each round the adaptive test ran; the last round gave the result. */
  rounds: number[]
}

/**
 * Standardises each bandwidth's MMD² by its permutation mean and deviation and takes the largest, for the observed
 * split (index 0) and every permutation alike, so one permutation p-value covers all bandwidths.
 */
function aggregateOverBandwidths(statistics: Float64Array, lists: number): Float64Array {
  const scales = BANDWIDTH_SCALES.length
  const aggregated = new Float64Array(lists).fill(Number.NEGATIVE_INFINITY)
  for (let scale = 0; scale < scales; scale++) {
    let mean = 0
    for (let list = 1; list < lists; list++) mean += statistics[list * scales + scale]
    mean /= Math.max(lists - 1, 1)
    let variance = 0
    for (let list = 1; list < lists; list++) variance += (statistics[list * scales + scale] - mean) ** 2
    const std = Math.sqrt(variance / Math.max(lists - 2, 1))
    if (!(std > 0)) continue
    for (let list = 0; list < lists; list++)
      aggregated[list] = Math.max(aggregated[list], (statistics[list * scales + scale] - mean) / std)
  }
  return aggregated.map((value) => (Number.isFinite(value) ? value : 0))
}

/**
 * Kernel two-sample test: maximum mean discrepancy with Gaussian kernels at the median pairwise distance and at
 * ½, ¼ and ⅛ of it, aggregated by the largest standardised statistic, with a permutation p-value. The median
 * width sees broad shifts; the narrow ones see tight clusters such as a flood of near-copies. Rows are
 * subsampled — 500 per side first, four times as many while the answer is undecided, at most `maxRowsPerSide` —
 * and features standardised (and projected when wide), so the cost is bounded whatever the input size.
 * @see Gretton et al. (2012), A kernel two-sample test, JMLR 13.
 * @see Schrab et al. (2023), MMD aggregated two-sample test, JMLR 24.
 */
export function mmdTest(reference: FeatureMatrix, batch: FeatureMatrix, options: MmdOptions): MmdResult {
  const maxRows = options.maxRowsPerSide ?? DEFAULT_MMD_ROWS_PER_SIDE
  const largest = Math.min(maxRows, Math.max(reference.rows, batch.rows))
  const rounds: number[] = []
  // One draw from the caller's generator seeds every round: each round (and each of its permutation batches) then
  // has a stream of its own, so a round's samples, cost and p-value do not depend on where the round before it
  // stopped, and the caller's generator moves on by the same single draw however many permutations ran.
  const seed = Math.floor(options.rng.next() * 2 ** 32)
  let rows = options.adaptive === false ? largest : Math.min(FIRST_ROUND_ROWS_PER_SIDE, largest)
  for (;;) {
    const roundSeed = combineHashes(seed, rounds.length)
    rounds.push(rows)
    const result = mmdRound(reference, batch, options, rows, rows >= largest, roundSeed)
    // Decided: the observed split beat every permutation (more rows cannot make that clearer), or it is far from
    // an alarm. Otherwise four times the rows, i.e. sixteen times the kernel evaluations, up to `maxRowsPerSide`.
    const decided = result.exceedances === 0 || result.pValue > UNDECIDED_BELOW_P
    if (rows >= largest || decided) return { ...result, rounds }
    rows = Math.min(4 * rows, largest)
  }
}

/**
 * Permutations per batch. Batches of a fixed size stop within this many of where the exceedances first suffice;
 * doubling them overshot by up to half the permutations run (a p-value of 0.13 took 168 instead of 96).
 */
const PERMUTATION_BATCH = 24
/**
 * Permutations stop once this many beat the observed split (Besag & Clifford's sequential p-value): the p-value is
 * then clearly large, and after the first batch above `UNDECIDED_BELOW_P`, so the round is decided.
 */
const ENOUGH_EXCEEDANCES = 12
/**
 * Chance of error of the two sequential stops. A round that more rows may follow only has to say whether it is
 * decided: once a permutation has beaten the observed split (so it cannot beat them all) and so few have that a
 * round whose p-value is above `UNDECIDED_BELOW_P` would show this few with at most this chance, the round is
 * undecided and its remaining permutations are skipped (erring costs rows, never validity: the next round is a
 * test of its own). The last round, given `alpha`, stops once so many permutations have beaten the observed split
 * that a p-value at or below `alpha` would show this many with at most this chance: a test that would be
 * significant is cut short with at most this chance.
 */
const SEQUENTIAL_ERROR = 1e-3

interface SplitPlan {
  rows: number
  memberCount: number
  firstMember: number
  permutations: number
  /** No round follows this one, so its p-value is reported. */
  lastRound: boolean
  alpha?: number
}

/** Exceedances are Binomial(permutations, p): whether this few already show p below `UNDECIDED_BELOW_P`. */
function clearlyUndecided(exceedances: number, permutations: number): boolean {
  if (exceedances === 0) return false
  const fewest = binomialUpperTail(permutations - exceedances, permutations, 1 - UNDECIDED_BELOW_P)
  return fewest <= SEQUENTIAL_ERROR
}

/** Whether this many exceedances already show a p-value above `alpha`. */
function clearlyAbove(alpha: number, exceedances: number, permutations: number): boolean {
  return binomialUpperTail(exceedances, permutations, alpha) <= SEQUENTIAL_ERROR
}

/** Whether the permutations run so far settle what the round is for. */
function settled(plan: SplitPlan, exceedances: number, permutations: number): boolean {
  if (exceedances >= ENOUGH_EXCEEDANCES) return true
  if (!plan.lastRound) return clearlyUndecided(exceedances, permutations)
  return plan.alpha !== undefined && clearlyAbove(plan.alpha, exceedances, permutations)
}

/**
 * MMD² per bandwidth of the observed split (list 0) and of random splits, in batches that stop early once the
 * observed split is clearly ordinary; with the standardised aggregate over bandwidths of each list.
 * @see Besag & Clifford (1991), Sequential Monte Carlo p-values, Biometrika 78(2).
 */
function permutedStatistics(
  matrix: GramMatrix,
  plan: SplitPlan,
  roundSeed: number,
  share: WorkShare,
): { statistics: Float64Array; aggregated: Float64Array } {
  const scales = BANDWIDTH_SCALES.length
  let statistics: Float64Array = new Float64Array(0)
  let aggregated: Float64Array = new Float64Array(0)
  let done = 0
  while (done < plan.permutations) {
    const count = Math.min(PERMUTATION_BATCH, plan.permutations - done)
    // Each batch's list 0 is the observed split again; only the first batch keeps it.
    const rng = createRng(combineHashes(roundSeed, 1 + done / PERMUTATION_BATCH))
    const lists = memberLists(plan.rows, plan.memberCount, plan.firstMember, count, rng).slice(
      done === 0 ? 0 : 1,
    )
    const within = withinSums(matrix, lists, share)
    const fresh = within.map((sum, index) =>
      splitStatistic(sum, lists[Math.floor(index / scales)], matrix, index % scales),
    )
    const grown = new Float64Array(statistics.length + fresh.length)
    grown.set(statistics)
    grown.set(fresh, statistics.length)
    statistics = grown
    done += count
    aggregated = aggregateOverBandwidths(statistics, 1 + done)
    let exceedances = 0
    for (let list = 1; list <= done; list++) if (aggregated[list] >= aggregated[0]) exceedances++
    if (settled(plan, exceedances, done)) break
  }
  return { statistics, aggregated }
}

/** One round of the test on at most `maxRows` sampled rows per side. */
function mmdRound(
  reference: FeatureMatrix,
  batch: FeatureMatrix,
  options: MmdOptions,
  maxRows: number,
  lastRound: boolean,
  roundSeed: number,
): Omit<MmdResult, 'rounds'> {
  const { share = localWorkShare } = options
  // Stream 0 of the round samples and projects; its permutation batches use streams 1, 2, ...
  const rng = createRng(combineHashes(roundSeed, 0))
  const referenceRows = sampleRows(reference.rows, maxRows, rng)
  const batchRows = sampleRows(batch.rows, maxRows, rng)
  const pooled = poolStandardised(
    reference,
    batch,
    referenceRows,
    batchRows,
    options.maxDimensions ?? 32,
    rng,
  )
  const rows = referenceRows.length + batchRows.length
  const base = {
    referenceRows: referenceRows.length,
    batchRows: batchRows.length,
    dimensions: pooled.dimensions,
    projected: pooled.projected,
  }
  if (referenceRows.length < 2 || batchRows.length < 2 || pooled.dimensions === 0) {
    const none = { statistic: 0, statistics: [], bandwidths: [], aggregate: 0 }
    return { ...base, ...none, pValue: 1, exceedances: 0, permutations: 0 }
  }
  const squaredBandwidth =
    medianSquaredDistance(pooled.data, pooled.dimensions, referenceRows.length, rows) || 1
  const matrix = gramMatrix(pooled.data, pooled.dimensions, rows, squaredBandwidth, share)
  // The smaller side plays `members`, so each permutation costs s² / 2 kernel reads.
  const memberCount = Math.min(referenceRows.length, batchRows.length)
  const firstMember = batchRows.length <= referenceRows.length ? referenceRows.length : 0
  const { statistics, aggregated } = permutedStatistics(
    matrix,
    {
      rows,
      memberCount,
      firstMember,
      permutations: options.permutations ?? 200,
      lastRound,
      alpha: options.alpha,
    },
    roundSeed,
    share,
  )
  const scales = BANDWIDTH_SCALES.length
  const observed = Array.from(statistics.subarray(0, scales))
  return {
    ...base,
    statistic: observed[0],
    statistics: observed,
    bandwidths: BANDWIDTH_SCALES.map((scale) => scale * Math.sqrt(squaredBandwidth)),
    aggregate: aggregated[0],
    ...permutationPValue(aggregated[0], aggregated.subarray(1)),
  }
}
