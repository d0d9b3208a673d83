import type { Dataset } from '../../data/dataset.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { quantileSorted } from '../../stats/quantiles.js'
import { exactDuplicatePairs, hashRecordContents } from './content-hash.js'
import { minhashSignatures, type ShingleSets, shingleJaccard, visitBandBuckets } from './minhash.js'
import { averageHashes } from './perceptual-hash.js'
import { findRoot, type UnionFind, unite } from './union-find.js'

/** Which test linked a record to another one; a group's evidence is the union over its members. */
export const LinkEvidence = { exact: 1, dense: 2, text: 4, image: 8, core: 16 } as const

/** Union-find over the records plus, per record, the bits of `LinkEvidence` that linked it. */
export interface Linker {
  readonly sets: UnionFind
  readonly evidence: Uint8Array
  /** Rows with nothing to compare (an empty text and no other features); they are never linked. */
  readonly contentless?: Uint8Array
  /** Candidate pairs looked at in hash buckets so far: the part of the cost that duplicates could make quadratic. */
  pairsCompared: number
}

function link(linker: Linker, first: number, second: number, evidence: number): void {
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
  const radius = options.maxRelativeDistance * medianKthDistance(graph)
  let links = 0
  for (let row = 0; row < graph.rows; row++) {
    for (let position = 0; position < graph.k; position++) {
      const offset = row * graph.k + position
      if (graph.distances[offset] > radius) break
      const neighbour = graph.indices[offset]
      if (findRoot(linker.sets, row) === findRoot(linker.sets, neighbour)) continue
      if (cosine(features, row, neighbour) < options.minCosine) continue
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
 * Earlier sets of a bucket each row is compared with, most recent first. A bucket of thousands of copies is one set
 * after its first link, so each copy costs one comparison; a bucket of unrelated rows sharing a hash costs at most
 * this many per row: the work stays linear in rows however the data repeats.
 */
const maxComparedSets = 32

/** Links the rows of one hash bucket that `confirm` accepts, comparing each with the bucket's recent sets. */
function linkBucket(
  linker: Linker,
  rows: Int32Array,
  evidence: number,
  confirm: (first: number, second: number) => boolean,
): number {
  const representatives: number[] = []
  let links = 0
  for (const row of rows) {
    if (linker.contentless?.[row] === 1) continue
    let joined = false
    const oldest = Math.max(0, representatives.length - maxComparedSets)
    for (let index = representatives.length - 1; index >= oldest; index--) {
      const other = representatives[index]
      linker.pairsCompared++
      if (findRoot(linker.sets, other) === findRoot(linker.sets, row)) {
        joined = true
        continue
      }
      if (!confirm(other, row)) continue
      link(linker, other, row, evidence)
      joined = true
      links++
    }
    if (!joined) representatives.push(row)
  }
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

function pixelCorrelation(pixels: FeatureMatrix, first: number, second: number): number {
  const { data, cols } = pixels
  let sumA = 0
  let sumB = 0
  for (let col = 0; col < cols; col++) {
    sumA += data[first * cols + col]
    sumB += data[second * cols + col]
  }
  const meanA = sumA / cols
  const meanB = sumB / cols
  let dot = 0
  let varianceA = 0
  let varianceB = 0
  for (let col = 0; col < cols; col++) {
    const a = data[first * cols + col] - meanA
    const b = data[second * cols + col] - meanB
    dot += a * b
    varianceA += a * a
    varianceB += b * b
  }
  const scale = Math.sqrt(varianceA * varianceB)
  return scale > 0 ? dot / scale : varianceA === varianceB ? 1 : 0
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
  let links = 0
  visitBandBuckets(hashes, pixels.rows, 1, (bucket) => {
    links += linkBucket(
      linker,
      bucket,
      LinkEvidence.image,
      (a, b) => pixelCorrelation(pixels, a, b) >= minCorrelation,
    )
  })
  return links
}
