import { compareCdfs, type EmpiricalDistribution, quantileOf } from './ecdf.js'

/** Wasserstein-1 (earth mover's) distance ∫ |F_A − F_B| dx, in the units of the values. */
export function wasserstein1(a: EmpiricalDistribution, b: EmpiricalDistribution): number {
  return compareCdfs(a, b).area
}

/** Share of weight at or below each edge; `edges` ascending. */
function sharesAtOrBelow(distribution: EmpiricalDistribution, edges: Float64Array): Float64Array {
  const { values, weights, totalWeight } = distribution
  const below = new Float64Array(edges.length)
  let index = 0
  let cumulative = 0
  for (let edge = 0; edge < edges.length; edge++) {
    while (index < values.length && values[index] <= edges[edge]) {
      cumulative += weights ? weights[index] : 1
      index++
    }
    below[edge] = cumulative / totalWeight
  }
  return below
}

export interface PsiResult {
  /** Population stability index Σ (b − r) ln(b / r) over bins; ≥ 0, larger = more shift (0.1 moderate, 0.25 major). */
  psi: number
  /** Inner bin edges: reference quantiles, deduplicated, so heavy ties merge bins instead of emptying them. */
  edges: number[]
  referenceShares: number[]
  batchShares: number[]
}

/** Stands in for an empty bin so the logarithm stays finite; small against any bin share that matters. */
const EMPTY_SHARE = 1e-4

/** Population stability index over `binCount` reference-quantile bins (default 10). */
export function populationStabilityIndex(
  reference: EmpiricalDistribution,
  batch: EmpiricalDistribution,
  binCount = 10,
): PsiResult {
  const inner: number[] = []
  for (let bin = 1; bin < binCount; bin++) {
    const edge = quantileOf(reference, bin / binCount)
    if (Number.isFinite(edge) && (inner.length === 0 || edge > inner[inner.length - 1])) inner.push(edge)
  }
  // Bins are (edge_k−1, edge_k]: an atom (a column that is mostly 0) fills the bin that ends at it rather than
  // leaving an empty bin below it.
  const edges = Float64Array.from(inner)
  const referenceBelow = sharesAtOrBelow(reference, edges)
  const batchBelow = sharesAtOrBelow(batch, edges)
  const referenceShares: number[] = []
  const batchShares: number[] = []
  let psi = 0
  for (let bin = 0; bin <= edges.length; bin++) {
    const lowR = bin === 0 ? 0 : referenceBelow[bin - 1]
    const lowB = bin === 0 ? 0 : batchBelow[bin - 1]
    const highR = bin === edges.length ? 1 : referenceBelow[bin]
    const highB = bin === edges.length ? 1 : batchBelow[bin]
    const shareR = highR - lowR
    const shareB = highB - lowB
    referenceShares.push(shareR)
    batchShares.push(shareB)
    const r = Math.max(shareR, EMPTY_SHARE)
    const b = Math.max(shareB, EMPTY_SHARE)
    psi += (b - r) * Math.log(b / r)
  }
  return { psi, edges: inner, referenceShares, batchShares }
}
