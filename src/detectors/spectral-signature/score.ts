/** The best split of values on a line into two groups (1-D 2-means), with each group's moments. */
export interface LineSplit {
  /** Values strictly above this belong to the high group. */
  readonly threshold: number
  readonly low: GroupMoments
  readonly high: GroupMoments
  /** Ashman's D: distance between the group means in units of their pooled spread; above ~3 the groups are apart. */
  readonly separation: number
}

export interface GroupMoments {
  readonly count: number
  readonly mean: number
  readonly variance: number
}

/**
 * Exact 1-D 2-means: sorts once and scans every cut with prefix sums, so no initialisation can miss the best split.
 * @see Ashman, Bird, Zepf. Detecting bimodality in astronomical datasets. AJ 108, 1994 (the separation D).
 */
export function splitLine(values: Float64Array): LineSplit {
  const sorted = Float64Array.from(values).sort()
  const count = sorted.length
  const prefix = new Float64Array(count + 1)
  const prefixSquares = new Float64Array(count + 1)
  for (let i = 0; i < count; i++) {
    prefix[i + 1] = prefix[i] + sorted[i]
    prefixSquares[i + 1] = prefixSquares[i] + sorted[i] * sorted[i]
  }
  const within = (start: number, end: number) => {
    const size = end - start
    const sum = prefix[end] - prefix[start]
    return prefixSquares[end] - prefixSquares[start] - (sum * sum) / size
  }
  let bestCut = 1
  let bestCost = Number.POSITIVE_INFINITY
  for (let cut = 1; cut < count; cut++) {
    if (sorted[cut] === sorted[cut - 1]) continue
    const cost = within(0, cut) + within(cut, count)
    if (cost < bestCost) {
      bestCost = cost
      bestCut = cut
    }
  }
  const moments = (start: number, end: number): GroupMoments => {
    const size = Math.max(end - start, 1)
    const mean = (prefix[end] - prefix[start]) / size
    return { count: end - start, mean, variance: Math.max(within(start, end) / size, 0) }
  }
  const low = moments(0, Math.min(bestCut, count))
  const high = moments(Math.min(bestCut, count), count)
  const spread = Math.sqrt(low.variance + high.variance)
  const gap = Math.abs(high.mean - low.mean)
  const separation = spread > 0 ? (Math.SQRT2 * gap) / spread : gap > 0 ? Number.POSITIVE_INFINITY : 0
  const threshold = count > 1 ? sorted[Math.min(bestCut, count) - 1] : Number.POSITIVE_INFINITY
  return { threshold, low, high, separation }
}

function logDensity(value: number, group: GroupMoments, floorVariance: number): number {
  const variance = Math.max(group.variance, floorVariance)
  return -0.5 * Math.log(variance) - ((value - group.mean) * (value - group.mean)) / (2 * variance)
}

/**
 * Chance that a value belongs to `suspect` rather than `clean` under a two-Gaussian mixture whose components are
 * the split's groups, weighted by their sizes.
 */
export function suspectPosterior(value: number, suspect: GroupMoments, clean: GroupMoments): number {
  // A floor on the variances keeps a degenerate group (all-equal values) from claiming everything near it.
  const floorVariance = 1e-6 * Math.max(suspect.variance + clean.variance, 1e-12)
  const suspectLog = Math.log(Math.max(suspect.count, 1)) + logDensity(value, suspect, floorVariance)
  const cleanLog = Math.log(Math.max(clean.count, 1)) + logDensity(value, clean, floorVariance)
  return 1 / (1 + Math.exp(cleanLog - suspectLog))
}

/** Logistic ramp: 0.5 at `centre`, rising by a factor e of odds per `1 / steepness` above it. */
export function logistic(value: number, centre: number, steepness: number): number {
  return 1 / (1 + Math.exp(-steepness * (value - centre)))
}
