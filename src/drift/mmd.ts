import type { FeatureMatrix } from '../data/matrix.js'
import { type PermutationPValue, permutationPValue } from '../stats/permutation.js'
import type { Rng } from '../util/rng.js'
import {
  BANDWIDTH_SCALES,
  gramMatrix,
  medianSquaredDistance,
  memberLists,
  poolStandardised,
  sampleRows,
  splitStatistic,
  withinSums,
} from './mmd-kernel.js'

/** Rows per side the MMD test samples by default: a 4,000 × 4,000 Gram matrix, about 1.5 s with 200 permutations. */
export const DEFAULT_MMD_ROWS_PER_SIDE = 2000

export interface MmdOptions {
  rng: Rng
  /** Permutations for the p-value; default 200. */
  permutations?: number
  /** Rows drawn at random from each side (the Gram matrix is quadratic in them); default 2,000. */
  maxRowsPerSide?: number
  /** Wider data is randomly projected to this many dimensions first; default 32. */
  maxDimensions?: number
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
 * subsampled to `maxRowsPerSide` per side and features standardised (and projected when wide), so the cost is
 * bounded whatever the input size.
 * @see Gretton et al. (2012), A kernel two-sample test, JMLR 13.
 * @see Schrab et al. (2023), MMD aggregated two-sample test, JMLR 24.
 */
export function mmdTest(reference: FeatureMatrix, batch: FeatureMatrix, options: MmdOptions): MmdResult {
  const { rng } = options
  const maxRows = options.maxRowsPerSide ?? DEFAULT_MMD_ROWS_PER_SIDE
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
  const matrix = gramMatrix(pooled.data, pooled.dimensions, rows, squaredBandwidth)
  // The smaller side plays `members`, so each permutation costs s² / 2 kernel reads.
  const memberCount = Math.min(referenceRows.length, batchRows.length)
  const firstMember = batchRows.length <= referenceRows.length ? referenceRows.length : 0
  const lists = memberLists(rows, memberCount, firstMember, options.permutations ?? 200, rng)
  const within = withinSums(matrix, lists)
  const scales = BANDWIDTH_SCALES.length
  const statistics = within.map((sum, index) =>
    splitStatistic(sum, lists[Math.floor(index / scales)], matrix, index % scales),
  )
  const aggregated = aggregateOverBandwidths(statistics, lists.length)
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
