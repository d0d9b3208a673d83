import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { quantileSorted } from '../../stats/quantiles.js'
import { hypergeometricUpperTail } from '../../stats/tails.js'

/** Union–find over rows, with path halving. */
function findRoot(parents: Int32Array, row: number): number {
  let node = row
  while (parents[node] !== node) {
    parents[node] = parents[parents[node]]
    node = parents[node]
  }
  return node
}

/** Whether `other` is among the first `k` neighbours of `row`. */
function isNeighbour(graph: NeighbourGraph, row: number, other: number, k: number): boolean {
  for (let position = 0; position < k; position++)
    if (graph.indices[row * graph.k + position] === other) return true
  return false
}

/**
 * Bytes of neighbour lists the linking reads at random within one block: an L2 cache's share (half of 512 KiB),
 * so that the lists and labels a block's links look up are read from the cache, not from main memory.
 */
const linkBlockBytes = 1 << 18

/**
 * Groups of same-label records that are each other's nearest neighbours: two records of a label are linked when
 * each is among the other's first `linkNeighbours`. Returns each row's group id (a member row; -1 when unlabelled).
 *
 * Testing a link reads the other record's list and label, at a random row: past the caches (a million rows) each
 * of those reads waited on main memory. The candidate links are therefore first sorted by the block of rows their
 * other record falls in (a counting sort, written in sequence), and each block's links tested together, so their
 * lookups stay within one block's lists (`blockRows`, by default what fits `linkBlockBytes`). The groups do not
 * depend on the order links are joined in; only which member names a group does.
 * @see Beamer, Asanović, Patterson. Reducing PageRank Communication via Propagation Blocking. IPDPS 2017.
 */
export function sameLabelGroups(
  graph: NeighbourGraph,
  codes: Int32Array,
  linkNeighbours: number,
  blockRows = Math.max(1, Math.floor(linkBlockBytes / (4 * graph.k))),
): Int32Array {
  const parents = Int32Array.from({ length: graph.rows }, (_, row) => row)
  const k = Math.min(linkNeighbours, graph.k)
  const blocks = Math.ceil(graph.rows / blockRows)
  // Each link is tested once, from its lower row; the larger one's block decides where it is tested.
  const starts = new Int32Array(blocks + 1)
  for (let row = 0; row < graph.rows; row++) {
    if (codes[row] < 0) continue
    for (let position = 0; position < k; position++) {
      const other = graph.indices[row * graph.k + position]
      if (other > row) starts[Math.floor(other / blockRows) + 1]++
    }
  }
  for (let block = 0; block < blocks; block++) starts[block + 1] += starts[block]
  const fill = starts.slice(0, blocks)
  const links = new Int32Array(2 * starts[blocks])
  for (let row = 0; row < graph.rows; row++) {
    if (codes[row] < 0) continue
    for (let position = 0; position < k; position++) {
      const other = graph.indices[row * graph.k + position]
      if (other <= row) continue
      const slot = 2 * fill[Math.floor(other / blockRows)]++
      links[slot] = row
      links[slot + 1] = other
    }
  }
  for (let slot = 0; slot < links.length; slot += 2) {
    const row = links[slot]
    const other = links[slot + 1]
    if (codes[other] !== codes[row] || !isNeighbour(graph, other, row, k)) continue
    parents[findRoot(parents, other)] = findRoot(parents, row)
  }
  return Int32Array.from(parents, (_, row) => (codes[row] < 0 ? -1 : findRoot(parents, row)))
}

/** Counts from this one up are what the law is fitted on: one record alone says nothing about a group. */
const smallestGroup = 2

/**
 * Chance that, of `count` groups counting at least two, any counts as many as `size`, when the counts follow a
 * power law (heavy-tailed, as clusters of mixed classes are in text and tables) whose exponent is fitted to
 * `otherSizes` by maximum likelihood, with one pseudo-group of moderate count so that a handful of counts cannot
 * make the law steep.
 * @see Clauset, Shalizi, Newman. Power-law distributions in empirical data. SIAM Review 51, 2009 (eq. 3.7).
 */
export function groupSizePValue(size: number, otherSizes: readonly number[], count: number): number {
  return groupSizePValueFrom(size, fitGroupSizes(otherSizes), count)
}

/** What the power law's maximum-likelihood exponent is computed from: counted groups and their summed log sizes. */
export interface GroupSizeFit {
  readonly logSum: number
  readonly observed: number
}

const logSize = (size: number) => Math.log((size - 0.5) / (smallestGroup - 0.5))

/** The fit over `sizes` (those of at least two) and the pseudo-group. */
export function fitGroupSizes(sizes: readonly number[]): GroupSizeFit {
  let logSum = 1
  let observed = 1
  for (const size of sizes) {
    if (size < smallestGroup) continue
    logSum += logSize(size)
    observed++
  }
  return { logSum, observed }
}

/**
 * The fit with one of its sizes left out: testing every group against all the others this way costs one pass, where
 * refitting per group grew as groups², and groups grow with the rows.
 */
export function leaveOutSize(fit: GroupSizeFit, size: number): GroupSizeFit {
  if (size < smallestGroup) return fit
  return { logSum: fit.logSum - logSize(size), observed: fit.observed - 1 }
}

/** `groupSizePValue` from a fit of the other groups' sizes. */
export function groupSizePValueFrom(size: number, fit: GroupSizeFit, count: number): number {
  if (size < smallestGroup) return 1
  const slope = fit.observed / fit.logSum
  const tail = ((size - 0.5) / (smallestGroup - 0.5)) ** -slope
  return Math.min(1, -Math.expm1(Math.max(1, count) * Math.log1p(-Math.min(tail, 1 - 1e-16))))
}

/** For a group: the record of another label whose own neighbourhood holds the most members, and how many. */
export interface FocalInstance {
  readonly row: number
  readonly members: number
}

/**
 * For every group among `groups`, the record of another label whose own nearest neighbours hold the most of the
 * group's members, and how many: a collision pulls its poisons into the neighbourhood of the one instance it aims
 * at, so that instance sees them crowd around it. One pass over the neighbour graph.
 */
export function focalInstances(
  graph: NeighbourGraph,
  codes: Int32Array,
  groupOf: Int32Array,
  groups: ReadonlySet<number>,
): Map<number, FocalInstance> {
  // Group ids are row numbers, so typed arrays indexed by row stand in for maps: on a million rows, map entries
  // for hundreds of thousands of groups cost far more than the pass over the graph itself.
  const testedGroupOf = Int32Array.from(groupOf, (group) => (groups.has(group) ? group : -1))
  const crowd = new Int32Array(graph.rows)
  const bestRow = new Int32Array(graph.rows).fill(-1)
  const bestMembers = new Int32Array(graph.rows)
  const touched = new Int32Array(graph.k)
  for (let row = 0; row < graph.rows; row++) {
    if (codes[row] < 0) continue
    let touchedCount = 0
    for (let position = 0; position < graph.k; position++) {
      const neighbour = graph.indices[row * graph.k + position]
      // The label first: most neighbours share it, so the group, a second read at a random row, is rarely needed.
      if (codes[neighbour] === codes[row]) continue
      const group = testedGroupOf[neighbour]
      if (group < 0) continue
      if (crowd[group]++ === 0) touched[touchedCount++] = group
    }
    for (let index = 0; index < touchedCount; index++) {
      const group = touched[index]
      if (bestRow[group] < 0 || crowd[group] > bestMembers[group]) {
        bestRow[group] = row
        bestMembers[group] = crowd[group]
      }
      crowd[group] = 0
    }
  }
  const focal = new Map<number, FocalInstance>()
  bestRow.forEach((row, group) => {
    if (row >= 0) focal.set(group, { row, members: bestMembers[group] })
  })
  return focal
}

/** Per feature, the mean and variance of some rows. */
function moments(
  features: FeatureMatrix,
  rows: readonly number[],
): { mean: Float64Array; variance: Float64Array } {
  const { data, cols } = features
  const mean = new Float64Array(cols)
  const variance = new Float64Array(cols)
  for (const row of rows)
    for (let col = 0; col < cols; col++) mean[col] += data[row * cols + col] / rows.length
  for (const row of rows)
    for (let col = 0; col < cols; col++)
      variance[col] += (data[row * cols + col] - mean[col]) ** 2 / rows.length
  return { mean, variance }
}

/** Keeps a feature's weight finite where the poisons agree exactly: a thousandth of their mean variance. */
const varianceFloor = 1e-3

/**
 * The record a collision aims at: poisons are moved from their class toward the target in the features a model
 * reads, so there they agree far more than their class does, and their centre lies between the class's centre and
 * the target. Each feature is weighted by how much tighter the poisons are than the rest of their class (the class's
 * variance over theirs), and the target is the record of another label nearest, in those weights, to the ray from
 * the class's centre through the poisons' centre, beyond the poisons; the features the collision did not act on, where
 * the poisons vary as their class does, count for little.
 * @see Shafahi et al. Poison Frogs! Targeted Clean-Label Poisoning Attacks on Neural Networks. NeurIPS 2018.
 */
export function convergenceTarget(features: FeatureMatrix, codes: Int32Array, members: Int32Array): number {
  const { data, rows, cols } = features
  const label = codes[members[0]]
  const memberSet = new Set(members)
  const rest: number[] = []
  for (let row = 0; row < rows; row++) if (codes[row] === label && !memberSet.has(row)) rest.push(row)
  const poisons = moments(features, Array.from(members))
  if (rest.length === 0) return -1
  const own = moments(features, rest)
  let meanVariance = 0
  for (const value of poisons.variance) meanVariance += value / cols
  const scale = Float64Array.from(poisons.variance, (value, col) =>
    Math.sqrt(own.variance[col] / (value + varianceFloor * meanVariance + Number.MIN_VALUE)),
  )
  const along = Float64Array.from(scale, (weight, col) => (poisons.mean[col] - own.mean[col]) * weight)
  let squares = 0
  for (const value of along) squares += value * value
  const length = Math.sqrt(squares) || 1
  for (let col = 0; col < cols; col++) along[col] /= length
  const offset = new Float64Array(cols)
  let best = -1
  let bestDistance = Number.POSITIVE_INFINITY
  for (let row = 0; row < rows; row++) {
    if (codes[row] < 0 || codes[row] === label) continue
    let projection = 0
    for (let col = 0; col < cols; col++) {
      offset[col] = (data[row * cols + col] - poisons.mean[col]) * scale[col]
      projection += offset[col] * along[col]
    }
    // Only beyond the poisons' centre: the target lies ahead of them, not behind in their own class.
    const ahead = Math.max(0, projection)
    let distance = 0
    for (let col = 0; col < cols; col++) distance += (offset[col] - ahead * along[col]) ** 2
    if (distance < bestDistance) {
      bestDistance = distance
      best = row
    }
  }
  return best
}

/** How tightly each class's records sit among their nearest neighbours, to weigh a group's tightness against. */
export interface ClassRadii {
  /** Each row's mean distance to its first neighbours. */
  readonly radii: Float64Array
  /** Per class: its median radius, how many of its records lie strictly within it, and its size. */
  readonly median: Float64Array
  readonly within: Int32Array
  readonly size: Int32Array
}

/** Each labelled row's mean distance to its first `neighbours` neighbours, and its class's median of them. */
export function classRadii(
  graph: NeighbourGraph,
  codes: Int32Array,
  classCount: number,
  neighbours: number,
): ClassRadii {
  const k = Math.min(neighbours, graph.k)
  const radii = new Float64Array(graph.rows)
  for (let row = 0; row < graph.rows; row++) {
    let sum = 0
    for (let position = 0; position < k; position++) sum += graph.distances[row * graph.k + position]
    radii[row] = sum / k
  }
  const byClass = Array.from({ length: classCount }, () => [] as number[])
  codes.forEach((code, row) => {
    if (code >= 0) byClass[code].push(radii[row])
  })
  const median = new Float64Array(classCount)
  const within = new Int32Array(classCount)
  const size = new Int32Array(classCount)
  byClass.forEach((values, code) => {
    size[code] = values.length
    if (values.length === 0) return
    median[code] = quantileSorted(Float64Array.from(values).sort(), 0.5)
    within[code] = values.filter((value) => value < median[code]).length
  })
  return { radii, median, within, size }
}

/**
 * P-value that a group of one class sits more tightly than its class does: how many of its members lie closer to
 * their neighbours than the class's median record, against the count in as many records drawn at random from the
 * class (hypergeometric, the class itself the null). Poisons pulled onto one target end up closer together than
 * their class; a natural group that reaches into another class lies at its class's rim, where records are sparser.
 */
export function tightnessPValue(classes: ClassRadii, codes: Int32Array, members: Int32Array): number {
  const code = codes[members[0]]
  let tight = 0
  for (const row of members) if (classes.radii[row] < classes.median[code]) tight++
  return hypergeometricUpperTail(tight, classes.size[code], classes.within[code], members.length)
}
