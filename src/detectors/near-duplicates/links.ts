import type { Dataset } from '../../data/dataset.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { quantileSorted } from '../../stats/quantiles.js'
import { exactDuplicatePairs, hashRecordContents } from './content-hash.js'
import { minhashSignatures, type ShingleSets, shingleJaccard, visitBandBuckets } from './minhash.js'
import { averageHashes } from './perceptual-hash.js'
import { findRoot, type UnionFind, unite } from './union-find.js'

/** Which test linked a record to another one; a group's evidence is the union over its members. */
export const LinkEvidence = { exact: 1, dense: 2, text: 4, image: 8, core: 16, isolated: 32 } as const

/** Union-find over the records plus, per record, the bits of `LinkEvidence` that linked it. */
export interface Linker {
  readonly sets: UnionFind
  readonly evidence: Uint8Array
  /** Rows with nothing to compare (an empty text and no other features); they are never linked. */
  readonly contentless?: Uint8Array
  /** Candidate pairs looked at in hash buckets so far: the part of the cost that duplicates could make quadratic. */
  pairsCompared: number
}

/** Joins two records' groups and records which test linked them. */
export function link(linker: Linker, first: number, second: number, evidence: number): void {
  if (linker.contentless && (linker.contentless[first] === 1 || linker.contentless[second] === 1)) return
  unite(linker.sets, first, second)
  linker.evidence[first] |= evidence
  linker.evidence[second] |= evidence
}

/** Links records with byte-identical content (features, embeddings, text); returns how many were linked. */
export function linkExactDuplicates(linker: Linker, dataset: Dataset): number {
  const pairs = exactDuplicatePairs(dataset, hashRecordContents(dataset))
  for (let index = 0; index < pairs.length; index += 2)
    link(linker, pairs[index], pairs[index + 1], LinkEvidence.exact)
  return pairs.length / 2
}

function cosine(features: FeatureMatrix, first: number, second: number): number {
  const { data, cols } = features
  let dot = 0
  let firstNorm = 0
  let secondNorm = 0
  for (let col = 0; col < cols; col++) {
    const a = data[first * cols + col]
    const b = data[second * cols + col]
    dot += a * b
    firstNorm += a * a
    secondNorm += b * b
  }
  const norms = Math.sqrt(firstNorm * secondNorm)
  return norms > 0 ? dot / norms : firstNorm === secondNorm ? 1 : 0
}

/** Median distance to the k-th neighbour: the dataset's own scale of "near". */
export function medianKthDistance(graph: NeighbourGraph): number {
  const kth = Float64Array.from(
    { length: graph.rows },
    (_, row) => graph.distances[row * graph.k + graph.k - 1],
  )
  return quantileSorted(kth.sort(), 0.5, 'higher')
}

/** Thresholds of near-identical pairs in the dense features. */
export interface DenseLinkOptions {
  minCosine: number
  /** Largest distance for a link, as a fraction of the median distance to the k-th neighbour. */
  maxRelativeDistance: number
  /** An extra test a candidate pair must pass (text: shingle overlap), if any. */
  confirm?: (first: number, second: number) => boolean
}

/** Which pairs of graph neighbours the dense features call near-identical, texts aside. */
export interface DenseLikeness {
  /** Largest distance of near-identical records, in the graph's units. */
  readonly radius: number
  /** Whether two records `distance` apart (as the graph holds it) are near-identical. */
  alike(first: number, second: number, distance: number): boolean
}

/** Near-identical in the dense features: nearly parallel (cosine) and far closer than the k-th neighbour typically is. */
export function createDenseLikeness(
  features: FeatureMatrix,
  graph: NeighbourGraph,
  options: Pick<DenseLinkOptions, 'minCosine' | 'maxRelativeDistance'>,
): DenseLikeness {
  const radius = options.maxRelativeDistance * medianKthDistance(graph)
  return {
    radius,
    alike: (first, second, distance) =>
      distance <= radius && cosine(features, first, second) >= options.minCosine,
  }
}

/**
 * Links each record to those of its graph neighbours that are both nearly parallel (cosine) and far closer than
 * the dataset's typical neighbour distance: cosine alone is loose in few dimensions, distance alone has no unit.
 */
export function linkDenseNeighbours(
  linker: Linker,
  features: FeatureMatrix,
  graph: NeighbourGraph,
  options: DenseLinkOptions,
): number {
  const { radius, alike } = createDenseLikeness(features, graph, options)
  let links = 0
  for (let row = 0; row < graph.rows; row++) {
    for (let position = 0; position < graph.k; position++) {
      const offset = row * graph.k + position
      if (graph.distances[offset] > radius) break
      const neighbour = graph.indices[offset]
      if (findRoot(linker.sets, row) === findRoot(linker.sets, neighbour)) continue
      if (!alike(row, neighbour, graph.distances[offset])) continue
      if (options.confirm && !options.confirm(row, neighbour)) continue
      link(linker, row, neighbour, LinkEvidence.dense)
      links++
    }
  }
  return links
}

/** Thresholds of unusually tight clusters in the dense features. */
export interface CoreLinkOptions {
  minCosine: number
  /** Radius of a tight cluster, as a fraction of the median distance to the k-th neighbour. */
  maxRelativeDistance: number
  confirm?: (first: number, second: number) => boolean
}

/**
 * Links records inside unusually tight clusters: a record whose k nearest neighbours all lie within the radius is
 * a core, and cores within the radius of each other are linked (DBSCAN with minPts = k + 1). Noisy copies of one
 * record that are too far apart to be near-identical pairwise still pack far closer than natural data does.
 * @see Ester, Kriegel, Sander, Xu. A Density-Based Algorithm for Discovering Clusters. KDD 1996.
 */
export function linkDenseCores(
  linker: Linker,
  features: FeatureMatrix,
  graph: NeighbourGraph,
  options: CoreLinkOptions,
): number {
  const radius = options.maxRelativeDistance * medianKthDistance(graph)
  const isCore = (row: number) => graph.distances[row * graph.k + graph.k - 1] <= radius
  let links = 0
  for (let row = 0; row < graph.rows; row++) {
    if (!isCore(row)) continue
    for (let position = 0; position < graph.k; position++) {
      const neighbour = graph.indices[row * graph.k + position]
      if (!isCore(neighbour) || findRoot(linker.sets, row) === findRoot(linker.sets, neighbour)) continue
      if (cosine(features, row, neighbour) < options.minCosine) continue
      if (options.confirm && !options.confirm(row, neighbour)) continue
      link(linker, row, neighbour, LinkEvidence.core)
      links++
    }
  }
  return links
}

/**
 * Signature layout: 100 one-permutation bins in 20 bands of 5, so a pair with Jaccard 0.75 becomes a candidate
 * with chance 0.995, one with Jaccard 0.3 with chance 0.05.
 */
const minhashBins = 100
const minhashBands = 20
/**
 * Sets of a bucket each row is compared with: the largest so far and the most recently joined, sixteen at most, so
 * a row costs the same however large its bucket grows. Copies that follow each other within a dozen rows are caught
 * by the recent sets; a flood, as soon as two of its copies are linked, is among the largest sets and catches every
 * later copy wherever it lies in the bucket, and once the bucket is done its copies seen before that are compared
 * with the largest sets once more. A bucket of unrelated rows sharing a hash costs at most twenty comparisons per
 * row. (Before, each row was compared with the 32 latest sets, so a thin flood fell out of reach between copies, and
 * buckets that grew with the data cost more per row up to 32.)
 */
const largestCompared = 4
const recentCompared = 12

/** The sets of one bucket, each known by its first row, with how many of the bucket's rows joined it. */
interface BucketSets {
  readonly sizes: Map<number, number>
  /** The largest sets so far, unordered. */
  readonly largest: number[]
  /** The sets joined most recently, latest first. */
  readonly recent: number[]
}

/** Counts a row into the set `representative` stands for and ranks that set as recent and, if it is, large. */
function joinSet(sets: BucketSets, representative: number): void {
  const size = (sets.sizes.get(representative) ?? 0) + 1
  sets.sizes.set(representative, size)
  const recentAt = sets.recent.indexOf(representative)
  if (recentAt >= 0) sets.recent.splice(recentAt, 1)
  sets.recent.unshift(representative)
  if (sets.recent.length > recentCompared) sets.recent.pop()
  if (sets.largest.includes(representative)) return
  if (sets.largest.length < largestCompared) {
    sets.largest.push(representative)
    return
  }
  let smallest = 0
  for (let index = 1; index < sets.largest.length; index++)
    if (sets.sizes.get(sets.largest[index])! < sets.sizes.get(sets.largest[smallest])!) smallest = index
  if (size > sets.sizes.get(sets.largest[smallest])!) sets.largest[smallest] = representative
}

/** Links the rows of one hash bucket that `confirm` accepts, comparing each with the bucket's largest and recent sets. */
function linkBucket(
  linker: Linker,
  rows: Int32Array,
  evidence: number,
  confirm: (first: number, second: number) => boolean,
): number {
  const sets: BucketSets = { sizes: new Map(), largest: [], recent: [] }
  const candidates: number[] = []
  let links = 0
  /** Links `row` to those of `candidates` it is a copy of; returns the first set it joined, or -1. */
  const compare = (row: number) => {
    let joined = -1
    for (const other of candidates) {
      linker.pairsCompared++
      if (findRoot(linker.sets, other) === findRoot(linker.sets, row)) {
        if (joined < 0) joined = other
        continue
      }
      if (!confirm(other, row)) continue
      link(linker, other, row, evidence)
      if (joined < 0) joined = other
      links++
    }
    return joined
  }
  for (const row of rows) {
    if (linker.contentless?.[row] === 1) continue
    candidates.length = 0
    for (const other of sets.recent) candidates.push(other)
    for (const other of sets.largest) if (!sets.recent.includes(other)) candidates.push(other)
    const joined = compare(row)
    joinSet(sets, joined >= 0 ? joined : row)
  }
  // Copies of a flood that came before its first links stood alone, out of reach of the later ones.
  candidates.length = 0
  for (const other of sets.largest) if (sets.sizes.get(other)! > 1) candidates.push(other)
  if (candidates.length === 0) return links
  for (const [row, size] of sets.sizes) if (size === 1 && !candidates.includes(row)) compare(row)
  return links
}

/** Links texts whose word-bigram sets overlap by at least `minJaccard`, found by MinHash LSH and confirmed exactly. */
export function linkTextShingles(
  linker: Linker,
  shingles: ShingleSets,
  minJaccard: number,
  salt: number,
): number {
  const rowCount = shingles.offsets.length - 1
  const signatures = minhashSignatures(shingles, minhashBins, salt)
  let links = 0
  visitBandBuckets(signatures, rowCount, minhashBands, (bucket) => {
    // Texts without a single word share every band; alike only in holding nothing, they are never linked by text.
    if (shingles.offsets[bucket[0] + 1] === shingles.offsets[bucket[0]]) return
    links += linkBucket(
      linker,
      bucket,
      LinkEvidence.text,
      (a, b) => shingleJaccard(shingles, a, b) >= minJaccard,
    )
  })
  return links
}

/**
 * Whether two images' pixels correlate by at least `minCorrelation`. With each image centred and scaled to unit
 * length, correlation is 1 − d²/2 for their distance d, and d² only grows pixel by pixel: the sum stops as soon as
 * it passes 2 (1 − minCorrelation), so images that are not near copies (noisy copies of one digit among them) cost a
 * fraction of their pixels. Each image's mean and length are computed once.
 */
function createCorrelationTest(pixels: FeatureMatrix, minCorrelation: number) {
  const { data, cols } = pixels
  const means = new Float64Array(pixels.rows).fill(Number.NaN)
  const inverseLengths = new Float64Array(pixels.rows)
  const describe = (row: number) => {
    if (!Number.isNaN(means[row])) return
    let sum = 0
    for (let col = 0; col < cols; col++) sum += data[row * cols + col]
    const mean = sum / cols
    let squares = 0
    for (let col = 0; col < cols; col++) {
      const centred = data[row * cols + col] - mean
      squares += centred * centred
    }
    means[row] = mean
    inverseLengths[row] = squares > 0 ? 1 / Math.sqrt(squares) : 0
  }
  const limit = 2 * (1 - minCorrelation)
  return (first: number, second: number): boolean => {
    describe(first)
    describe(second)
    const scaleA = inverseLengths[first]
    const scaleB = inverseLengths[second]
    // A constant image correlates with nothing but another constant one.
    if (scaleA === 0 || scaleB === 0) return scaleA === scaleB || minCorrelation <= 0
    const meanA = means[first]
    const meanB = means[second]
    const offsetA = first * cols
    const offsetB = second * cols
    let distance = 0
    for (let col = 0; col < cols; col++) {
      const gap = (data[offsetA + col] - meanA) * scaleA - (data[offsetB + col] - meanB) * scaleB
      distance += gap * gap
      if (distance > limit) return false
    }
    return true
  }
}

/**
 * Links images with the same average hash whose pixels correlate by at least `minCorrelation`; correlation
 * ignores brightness and contrast, which the hash ignores too.
 */
export function linkImageHashes(
  linker: Linker,
  pixels: FeatureMatrix,
  shape: { width: number; height: number },
  minCorrelation: number,
): number {
  const hashes = averageHashes(pixels, shape.width, shape.height)
  const correlated = createCorrelationTest(pixels, minCorrelation)
  let links = 0
  visitBandBuckets(hashes, pixels.rows, 1, (bucket) => {
    links += linkBucket(linker, bucket, LinkEvidence.image, correlated)
  })
  return links
}
