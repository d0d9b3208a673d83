import type { Rng } from '../../util/rng.js'

/** A partition of points into two clusters. */
export interface TwoMeans {
  /** Cluster (0 or 1) of every point. */
  readonly assignments: Uint8Array
  /** `2 × dimensions` centroids, row-major. */
  readonly centroids: Float64Array
  /** Points in each cluster. */
  readonly sizes: readonly [number, number]
  /** Sum of squared distances of the points to their centroids. */
  readonly inertia: number
}

export interface TwoMeansOptions {
  rng: Rng
  /** Independent k-means++ starts; the lowest inertia wins. Default 4. */
  restarts?: number
  /** Lloyd iterations per start at most. Default 100. */
  maxIterations?: number
}

function squaredDistance(
  points: Float64Array,
  point: number,
  centres: Float64Array,
  centre: number,
  width: number,
) {
  let sum = 0
  for (let k = 0; k < width; k++) {
    const difference = points[point * width + k] - centres[centre * width + k]
    sum += difference * difference
  }
  return sum
}

/** k-means++ seeding for two centres: the second drawn with probability proportional to squared distance. */
function seedCentres(points: Float64Array, count: number, width: number, rng: Rng): Float64Array {
  const centres = new Float64Array(2 * width)
  const first = rng.int(count)
  centres.set(points.subarray(first * width, (first + 1) * width), 0)
  const weights = new Float64Array(count)
  let total = 0
  for (let point = 0; point < count; point++) {
    weights[point] = squaredDistance(points, point, centres, 0, width)
    total += weights[point]
  }
  let second = rng.int(count)
  if (total > 0) {
    let remaining = rng.next() * total
    for (second = 0; second < count - 1; second++) {
      remaining -= weights[second]
      if (remaining < 0) break
    }
  }
  centres.set(points.subarray(second * width, (second + 1) * width), width)
  return centres
}

function lloyd(
  points: Float64Array,
  count: number,
  width: number,
  centres: Float64Array,
  maxIterations: number,
) {
  const assignments = new Uint8Array(count)
  const sizes: [number, number] = [0, 0]
  let inertia = 0
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let changed = iteration === 0
    inertia = 0
    for (let point = 0; point < count; point++) {
      const toFirst = squaredDistance(points, point, centres, 0, width)
      const toSecond = squaredDistance(points, point, centres, 1, width)
      const cluster = toSecond < toFirst ? 1 : 0
      inertia += cluster ? toSecond : toFirst
      if (assignments[point] !== cluster) changed = true
      assignments[point] = cluster
    }
    if (!changed) break
    sizes[0] = 0
    sizes[1] = 0
    const sums = new Float64Array(2 * width)
    for (let point = 0; point < count; point++) {
      const cluster = assignments[point]
      sizes[cluster]++
      for (let k = 0; k < width; k++) sums[cluster * width + k] += points[point * width + k]
    }
    // An emptied cluster keeps its old centre rather than collapsing onto the origin.
    for (let cluster = 0; cluster < 2; cluster++)
      if (sizes[cluster] > 0)
        for (let k = 0; k < width; k++)
          centres[cluster * width + k] = sums[cluster * width + k] / sizes[cluster]
  }
  sizes[0] = 0
  sizes[1] = 0
  for (let point = 0; point < count; point++) sizes[assignments[point]]++
  return { assignments, centroids: centres, sizes, inertia }
}

/**
 * 2-means clustering of `count` points (row-major, `width` values each) by Lloyd's algorithm from k-means++ seeds,
 * keeping the best of several seeded starts.
 * @see Arthur, Vassilvitskii. k-means++: The Advantages of Careful Seeding. SODA 2007.
 */
export function twoMeans(
  points: Float64Array,
  count: number,
  width: number,
  options: TwoMeansOptions,
): TwoMeans {
  let best: TwoMeans | undefined
  for (let start = 0; start < (options.restarts ?? 4); start++) {
    const centres = seedCentres(points, count, width, options.rng)
    const result = lloyd(points, count, width, centres, options.maxIterations ?? 100)
    if (!best || result.inertia < best.inertia) best = result
  }
  return best!
}

/**
 * Mean silhouette of a two-cluster partition, in [-1, 1]: near 1 when every point is much closer to its own cluster
 * than to the other. Estimated on up to `sampleSize` points (each against all points) to stay linear in the count.
 * @see Rousseeuw. Silhouettes: a graphical aid to the interpretation of cluster analysis. J. Comput. Appl. Math. 20, 1987.
 */
export function silhouetteScore(
  points: Float64Array,
  count: number,
  width: number,
  assignments: Uint8Array,
  sampleSize = 400,
): number {
  const sizes = [0, 0]
  for (let point = 0; point < count; point++) sizes[assignments[point]]++
  if (sizes[0] < 2 || sizes[1] < 2) return 0
  const stride = Math.max(1, Math.floor(count / sampleSize))
  let total = 0
  let sampled = 0
  const sums = new Float64Array(2)
  for (let point = 0; point < count; point += stride) {
    sums.fill(0)
    addDistanceSums(points, width, assignments, point, 0, point, sums)
    addDistanceSums(points, width, assignments, point, point + 1, count, sums)
    const own = assignments[point]
    const cohesion = sums[own] / (sizes[own] - 1)
    const separation = sums[1 - own] / sizes[1 - own]
    const larger = Math.max(cohesion, separation)
    total += larger > 0 ? (separation - cohesion) / larger : 0
    sampled++
  }
  return sampled > 0 ? total / sampled : 0
}

/**
 * Adds the distance from `point` to each of the points `[from, to)` to `sums` of that point's cluster, in order.
 * Four points go through the coordinates side by side, each distance still summed coordinate by coordinate: four
 * independent sums keep the adder busy where one waits on its previous addition.
 */
function addDistanceSums(
  points: Float64Array,
  width: number,
  assignments: Uint8Array,
  point: number,
  from: number,
  to: number,
  sums: Float64Array,
): void {
  const own = point * width
  let other = from
  for (; other + 4 <= to; other += 4) {
    const first = other * width
    let sum0 = 0
    let sum1 = 0
    let sum2 = 0
    let sum3 = 0
    for (let k = 0; k < width; k++) {
      const value = points[own + k]
      const difference0 = value - points[first + k]
      const difference1 = value - points[first + width + k]
      const difference2 = value - points[first + 2 * width + k]
      const difference3 = value - points[first + 3 * width + k]
      sum0 += difference0 * difference0
      sum1 += difference1 * difference1
      sum2 += difference2 * difference2
      sum3 += difference3 * difference3
    }
    sums[assignments[other]] += Math.sqrt(sum0)
    sums[assignments[other + 1]] += Math.sqrt(sum1)
    sums[assignments[other + 2]] += Math.sqrt(sum2)
    sums[assignments[other + 3]] += Math.sqrt(sum3)
  }
  for (; other < to; other++) {
    let sum = 0
    for (let k = 0; k < width; k++) {
      const difference = points[own + k] - points[other * width + k]
      sum += difference * difference
    }
    sums[assignments[other]] += Math.sqrt(sum)
  }
}
