import type { FeatureMatrix } from '../../data/matrix.js'
import { mixHash } from '../../util/hashing.js'
import type { Rng } from '../../util/rng.js'

const eulerGamma = 0.5772156649015329

/** Average path length of an unsuccessful binary-search-tree search among `size` points: c(n) of the paper. */
export function averagePathLength(size: number): number {
  if (size <= 1) return 0
  if (size === 2) return 1
  return 2 * (Math.log(size - 1) + eulerGamma) - (2 * (size - 1)) / size
}

/** Bytes per node of an isolation tree: 16, so four nodes share a cache line. */
const nodeBytes = 16

/**
 * One isolation tree, its nodes in the order they were grown (so a node's left child is the next node), each in
 * 16 bytes of one buffer read through three views: scoring a record walks 100 trees whose nodes would otherwise lie
 * in five arrays, a cache miss in each. Node `n`: `ints[4n]` its split feature, or −1 at a leaf; `ints[4n + 1]` its
 * right child and `floats[4n + 2]` its threshold; at a leaf `doubles[2n + 1]` the `averagePathLength` of the samples
 * it holds, computed once per leaf rather than once per record reaching it.
 */
interface IsolationTree {
  ints: Int32Array
  floats: Float32Array
  doubles: Float64Array
}

/** How many trees to grow, on how many rows each, drawn how. */
export interface IsolationForestOptions {
  treeCount: number
  /** Rows drawn (without replacement) to grow each tree; ψ of the paper. */
  sampleSize: number
  /**
   * A stable key per row (say, a hash of its id): each tree grows on the rows whose salted keys are smallest, so
   * the forest, and every score, follows the records rather than their order in the file.
   */
  rowKeys: Uint32Array
  rng: Rng
}

/** Random features tried before a node whose samples agree on every tried feature becomes a leaf. */
const featureAttempts = 16

interface GrowState {
  matrix: FeatureMatrix
  tree: IsolationTree
  samples: Int32Array
  rng: Rng
  nodeCount: number
}

/** A split feature on which the node's samples differ, with its range, or undefined when none was found. */
function pickSplit(state: GrowState, start: number, end: number) {
  const { data, cols } = state.matrix
  for (let attempt = 0; attempt < featureAttempts; attempt++) {
    const feature = state.rng.int(cols)
    let low = Number.POSITIVE_INFINITY
    let high = Number.NEGATIVE_INFINITY
    for (let index = start; index < end; index++) {
      const value = data[state.samples[index] * cols + feature]
      if (value < low) low = value
      if (value > high) high = value
    }
    // Drawn in (low, high] so both sides of the cut hold a sample.
    if (high > low) return { feature, threshold: Math.fround(high - state.rng.next() * (high - low)) }
  }
  return undefined
}

/** Moves the samples below `threshold` to the front of the range; returns where the upper part starts. */
function partition(state: GrowState, start: number, end: number, feature: number, threshold: number): number {
  const { data, cols } = state.matrix
  const samples = state.samples
  let middle = start
  for (let index = start; index < end; index++) {
    if (data[samples[index] * cols + feature] < threshold) {
      const swap = samples[middle]
      samples[middle++] = samples[index]
      samples[index] = swap
    }
  }
  return middle
}

function grow(state: GrowState, start: number, end: number, depth: number, maxDepth: number): number {
  const node = state.nodeCount++
  const { tree } = state
  const split = end - start > 1 && depth < maxDepth ? pickSplit(state, start, end) : undefined
  const middle = split ? partition(state, start, end, split.feature, split.threshold) : start
  if (!split || middle === start || middle === end) {
    tree.ints[4 * node] = -1
    tree.doubles[2 * node + 1] = averagePathLength(end - start)
    return node
  }
  tree.ints[4 * node] = split.feature
  tree.floats[4 * node + 2] = split.threshold
  grow(state, start, middle, depth + 1, maxDepth)
  tree.ints[4 * node + 1] = grow(state, middle, end, depth + 1, maxDepth)
  return node
}

/**
 * The `sampleSize` rows of `rows` with the smallest keys once salted, in ascending key order. `salted` and
 * `candidates` are scratch space of `rows.length`, reused across trees so drawing allocates only the sample.
 */
function drawSample(
  rows: Int32Array,
  rowKeys: Uint32Array,
  sampleSize: number,
  salt: number,
  scratch: { salted: Uint32Array; candidates: Int32Array },
): Int32Array {
  const { salted, candidates } = scratch
  // Keys are uniform: a cut-off a little above the expected ψ-th smallest leaves few candidates to sort.
  const cutoff = Math.min(2 ** 32, ((1.5 * sampleSize + 16) / rows.length) * 2 ** 32)
  let candidateCount = 0
  for (let index = 0; index < rows.length; index++) {
    const key = mixHash((rowKeys[rows[index]] ^ salt) >>> 0)
    salted[index] = key
    if (key < cutoff) candidates[candidateCount++] = index
  }
  if (candidateCount < sampleSize) {
    for (let index = 0; index < rows.length; index++) candidates[index] = index
    candidateCount = rows.length
  }
  const sorted = candidates
    .subarray(0, candidateCount)
    .sort((a, b) => salted[a] - salted[b] || rows[a] - rows[b])
  const sample = new Int32Array(sampleSize)
  for (let position = 0; position < sampleSize; position++) sample[position] = rows[sorted[position]]
  return sample
}

function growTree(matrix: FeatureMatrix, samples: Int32Array, rng: Rng): IsolationTree {
  const sampleSize = samples.length
  const buffer = new ArrayBuffer(2 * sampleSize * nodeBytes)
  const tree: IsolationTree = {
    ints: new Int32Array(buffer),
    floats: new Float32Array(buffer),
    doubles: new Float64Array(buffer),
  }
  const maxDepth = Math.ceil(Math.log2(Math.max(2, sampleSize)))
  grow({ matrix, tree, samples, rng, nodeCount: 0 }, 0, sampleSize, 0, maxDepth)
  return tree
}

function pathLength(tree: IsolationTree, data: Float32Array, offset: number): number {
  const { ints, floats } = tree
  let node = 0
  let depth = 0
  for (let feature = ints[0]; feature >= 0; feature = ints[4 * node]) {
    node = data[offset + feature] < floats[4 * node + 2] ? node + 1 : ints[4 * node + 1]
    depth++
  }
  return depth + tree.doubles[2 * node + 1]
}

/**
 * Isolation-forest anomaly score s = 2^(−E[h]/c(ψ)) of every row in `scoreRows`, trees grown on `trainRows`:
 * near 1 for points isolated in few random cuts, near 0.5 or below for ordinary ones. Written to `out`.
 * @see Liu, Ting, Zhou. Isolation Forest. ICDM 2008.
 */
export function scoreIsolationForest(
  matrix: FeatureMatrix,
  trainRows: Int32Array,
  scoreRows: Int32Array,
  options: IsolationForestOptions,
  out: Float32Array,
): void {
  const sampleSize = Math.min(options.sampleSize, trainRows.length)
  const scratch = {
    salted: new Uint32Array(trainRows.length),
    candidates: new Int32Array(trainRows.length),
  }
  const trees = Array.from({ length: options.treeCount }, () => {
    const salt = options.rng.int(2 ** 32)
    return growTree(matrix, drawSample(trainRows, options.rowKeys, sampleSize, salt, scratch), options.rng)
  })
  const normaliser = averagePathLength(sampleSize) || 1
  const score = (total: number) => 2 ** (-total / trees.length / normaliser)
  // Four records at a time, all trees: their features stay in cache while the (small) trees are walked, and four
  // walks side by side overlap their loads where one walk waits on each. Each record's path lengths still add up
  // tree by tree.
  const totals = new Float64Array(4)
  let index = 0
  for (; index + 4 <= scoreRows.length; index += 4) {
    totals.fill(0)
    for (const tree of trees) addPathLengthsOfFour(tree, matrix, scoreRows, index, totals)
    for (let lane = 0; lane < 4; lane++) out[scoreRows[index + lane]] = score(totals[lane])
  }
  for (; index < scoreRows.length; index++) {
    const offset = scoreRows[index] * matrix.cols
    let total = 0
    for (const tree of trees) total += pathLength(tree, matrix.data, offset)
    out[scoreRows[index]] = score(total)
  }
}

/**
 * Adds to `totals` the path length in `tree` of each of the four rows `rows[first ..]`, walked side by side. Each
 * step is taken without branches: which side a record goes is as good as a coin toss for the processor's guess, and
 * a record already at its leaf stays there (`active` 0) while the others go on.
 */
function addPathLengthsOfFour(
  tree: IsolationTree,
  matrix: FeatureMatrix,
  rows: Int32Array,
  first: number,
  totals: Float64Array,
): void {
  const { ints, floats, doubles } = tree
  const { data, cols } = matrix
  const offset0 = rows[first] * cols
  const offset1 = rows[first + 1] * cols
  const offset2 = rows[first + 2] * cols
  const offset3 = rows[first + 3] * cols
  let node0 = 0
  let node1 = 0
  let node2 = 0
  let node3 = 0
  let depth0 = 0
  let depth1 = 0
  let depth2 = 0
  let depth3 = 0
  for (;;) {
    const feature0 = ints[4 * node0]
    const feature1 = ints[4 * node1]
    const feature2 = ints[4 * node2]
    const feature3 = ints[4 * node3]
    if ((feature0 & feature1 & feature2 & feature3) < 0) break
    node0 = stepOf(data, offset0, feature0, node0, ints, floats)
    node1 = stepOf(data, offset1, feature1, node1, ints, floats)
    node2 = stepOf(data, offset2, feature2, node2, ints, floats)
    node3 = stepOf(data, offset3, feature3, node3, ints, floats)
    depth0 += ~feature0 >>> 31
    depth1 += ~feature1 >>> 31
    depth2 += ~feature2 >>> 31
    depth3 += ~feature3 >>> 31
  }
  totals[0] += depth0 + doubles[2 * node0 + 1]
  totals[1] += depth1 + doubles[2 * node1 + 1]
  totals[2] += depth2 + doubles[2 * node2 + 1]
  totals[3] += depth3 + doubles[2 * node3 + 1]
}

/**
 * The node a record at `node` goes to: the next node (its left child) below the threshold, else its right child;
 * `node` itself at a leaf (`feature` −1, read as feature 0 and the answer discarded).
 */
function stepOf(
  data: Float32Array,
  offset: number,
  feature: number,
  node: number,
  ints: Int32Array,
  floats: Float32Array,
): number {
  const active = ~feature >>> 31
  const below = +(data[offset + (feature & ~(feature >> 31))] < floats[4 * node + 2])
  const right = ints[4 * node + 1]
  const next = right + below * (node + 1 - right)
  return node + active * (next - node)
}

/** Average number of random cuts that isolate a point with forest score `score` (trees grown on `sampleSize` rows). */
export function cutsFromScore(score: number, sampleSize: number): number {
  return -Math.log2(Math.max(score, Number.MIN_VALUE)) * averagePathLength(sampleSize)
}
