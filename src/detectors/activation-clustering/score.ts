import type { LabelColumn } from '../../data/dataset.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import type { Rng } from '../../util/rng.js'
import { type ClassSpectrum, projectRows } from '../class-spectra.js'
import { type Reclassification, reclassifyHeldOut } from '../reclassify.js'
import { silhouetteScore, type TwoMeans, twoMeans } from './kmeans.js'

export interface ClusterThresholds {
  minSilhouette: number
  minClusterShare: number
  maxClusterShare: number
  maxOwnLabelShare: number
}

/** A cluster needs at least this many records; fewer are outliers, not a poisoned population. */
const MIN_CLUSTER_SIZE = 3

/** The suspected cluster of one class and how sure the detector is that it is poison. */
export interface ClusterVerdict {
  /** Rows of the suspected cluster (the smaller one when nothing is suspected). */
  readonly members: Int32Array
  /** How clearly each member belongs to its cluster rather than the other, in [0,1]. */
  readonly membership: Float64Array
  /** The cluster's share of its class. */
  readonly share: number
  readonly silhouette: number
  /** Present when the split was significant enough to retrain without the cluster. */
  readonly reclassification?: Reclassification
  /** Records of other classes in the cluster's region, left out of training with it. */
  readonly regionOthers?: number
  /** In [0,1]; 0 when the class looks clean. */
  readonly confidence: number
}

function logistic(value: number, centre: number, steepness: number): number {
  return 1 / (1 + Math.exp(-steepness * (value - centre)))
}

/** Members of one cluster with the two-Gaussian posterior of belonging to it rather than to the other. */
function clusterMembers(
  spectrum: ClassSpectrum,
  points: Float64Array,
  width: number,
  split: TwoMeans,
  cluster: number,
) {
  const count = spectrum.rows.length
  const perDimensionVariance = Math.max(split.inertia / Math.max(count * width, 1), 1e-12)
  const members: number[] = []
  const membership: number[] = []
  for (let point = 0; point < count; point++) {
    if (split.assignments[point] !== cluster) continue
    let own = 0
    let other = 0
    for (let k = 0; k < width; k++) {
      const value = points[point * width + k]
      own += (value - split.centroids[cluster * width + k]) ** 2
      other += (value - split.centroids[(1 - cluster) * width + k]) ** 2
    }
    members.push(spectrum.rows[point])
    membership.push(1 / (1 + Math.exp(-(other - own) / (2 * perDimensionVariance))))
  }
  return { members: Int32Array.from(members), membership: Float64Array.from(membership) }
}

/**
 * Records of the other classes that lie in one cluster's region: nearer its centroid than the other cluster's
 * along the class's leading directions.
 */
function otherClassesInRegion(
  spectrum: ClassSpectrum,
  width: number,
  features: FeatureMatrix,
  codes: Int32Array,
  split: TwoMeans,
  cluster: number,
): Int32Array {
  const others: number[] = []
  for (let row = 0; row < codes.length; row++)
    if (codes[row] >= 0 && codes[row] !== spectrum.code) others.push(row)
  const coordinates = Array.from({ length: width }, (_, component) =>
    projectRows(features, spectrum, component, width, others),
  )
  return Int32Array.from(
    others.filter((_, position) => {
      let own = 0
      let other = 0
      for (let k = 0; k < width; k++) {
        const value = coordinates[k][position]
        own += (value - split.centroids[cluster * width + k]) ** 2
        other += (value - split.centroids[(1 - cluster) * width + k]) ** 2
      }
      return own < other
    }),
  )
}

/** Everything needed to hold one cluster of a split out and judge it. */
interface SplitContext {
  readonly spectrum: ClassSpectrum
  readonly width: number
  readonly split: TwoMeans
  readonly silhouette: number
  readonly features: FeatureMatrix
  readonly labels: LabelColumn
  readonly thresholds: ClusterThresholds
  readonly neighbours: NeighbourGraph
  readonly rng: Rng
}

/**
 * Whether most of a cluster's members have none but other members among their nearest neighbours: the cluster is
 * an island, a mode of the class apart from every record of the data. A model trained without it has seen nothing
 * near it and labels it by extrapolating, so it leaves its label whether it is poison or one of the class's several
 * natural modes; poison is records of another class under a trigger, and sits among the records of that class (in
 * the patched digits, 41–87% of the cluster's neighbours; in 1,200 records of two classes of three Gaussian modes
 * each, none).
 */
function isIsland(members: Int32Array, neighbours: NeighbourGraph): boolean {
  const inCluster = new Set(members)
  const { k, indices } = neighbours
  let reaching = 0
  for (const row of members) {
    for (let position = row * k; position < (row + 1) * k; position++) {
      if (inCluster.has(indices[position])) continue
      reaching++
      break
    }
  }
  return reaching < members.length / 2
}

/**
 * Retrains without one cluster, and without the other classes' records in its region, and turns how the model then
 * classifies the cluster into a confidence that it is poison.
 */
function holdOut(context: SplitContext, cluster: number): ClusterVerdict {
  const { spectrum, width, split, silhouette, labels, thresholds } = context
  const candidate = clusterMembers(spectrum, spectrum.coordinates, width, split, cluster)
  const share = split.sizes[cluster] / spectrum.rows.length
  if (
    isCategoryOfClass(context.features, spectrum.rows, candidate.members) ||
    isIsland(candidate.members, context.neighbours)
  )
    return { ...candidate, share, silhouette, confidence: 0 }
  const region = otherClassesInRegion(spectrum, width, context.features, labels.codes, split, cluster)
  const reclassification = reclassifyHeldOut(
    context.features,
    labels.codes,
    labels.classes.length,
    candidate.members,
    spectrum.code,
    context.rng,
    region,
  )
  // A dozen held-out records say less than hundreds: their share is read as its posterior mean under a uniform
  // prior (Laplace's rule of succession), so three of twelve keeping their label is no proof the group leaves.
  const heldOut = candidate.members.length
  const ownShare = (reclassification.ownLabelShare * heldOut + 1) / (heldOut + 2)
  const confidence =
    ownShare > thresholds.maxOwnLabelShare
      ? 0
      : Math.min(
          logistic(silhouette, thresholds.minSilhouette, 15),
          logistic(thresholds.maxOwnLabelShare - ownShare, 0, 20),
        )
  return { ...candidate, share, silhouette, reclassification, confidence, regionOthers: region.length }
}

/**
 * Whether one column takes exactly two values over the class, one on every member of the cluster and the other on
 * the rest of the class: the cluster is a category of the class (one code of a one-hot column). A model trained
 * without it has never seen that code set in the class, so the cluster leaves its label when held out whether it
 * is poison or a natural kind of record; a planted value is a table trigger, which trigger-mining's hidden-content
 * test judges.
 */
function isCategoryOfClass(features: FeatureMatrix, classRows: Int32Array, members: Int32Array): boolean {
  if (members.length === 0 || members.length === classRows.length) return false
  const inCluster = new Uint8Array(features.rows)
  for (const row of members) inCluster[row] = 1
  const outsider = classRows.find((row) => inCluster[row] === 0)!
  const { data, cols } = features
  for (let col = 0; col < cols; col++) {
    const memberValue = data[members[0] * cols + col]
    const restValue = data[outsider * cols + col]
    if (memberValue === restValue) continue
    let separates = true
    for (const row of classRows) {
      if (data[row * cols + col] !== (inCluster[row] === 1 ? memberValue : restValue)) {
        separates = false
        break
      }
    }
    if (separates) return true
  }
  return false
}

/** Of two clusters that both leave their class when held out, the poison is the one other classes claim most. */
function morePoisonous(verdict: ClusterVerdict, than: ClusterVerdict): boolean {
  if (verdict.confidence === 0) return false
  if (than.confidence === 0) return true
  return verdict.reclassification!.meanOtherConfidence > than.reclassification!.meanOtherConfidence
}

/**
 * Splits a class in two along its leading relative directions and decides whether one cluster is poison: the split
 * must be clear (silhouette), the cluster neither a few outliers nor most of the class, and a model retrained
 * without it must put it elsewhere. When the split is nearly even both clusters are held out in turn, since poison
 * can outnumber a small class.
 */
export function judgeClusters(
  spectrum: ClassSpectrum,
  width: number,
  features: FeatureMatrix,
  labels: LabelColumn,
  thresholds: ClusterThresholds,
  options: { rng: Rng; neighbours: NeighbourGraph },
): ClusterVerdict {
  const count = spectrum.rows.length
  const split = twoMeans(spectrum.coordinates, count, width, { rng: options.rng })
  const silhouette = silhouetteScore(spectrum.coordinates, count, width, split.assignments)
  const smaller = split.sizes[0] <= split.sizes[1] ? 0 : 1
  const smallerSize = split.sizes[smaller]
  if (
    silhouette < thresholds.minSilhouette ||
    smallerSize < MIN_CLUSTER_SIZE ||
    smallerSize < thresholds.minClusterShare * count
  ) {
    const members = clusterMembers(spectrum, spectrum.coordinates, width, split, smaller)
    return { ...members, share: smallerSize / count, silhouette, confidence: 0 }
  }
  const context: SplitContext = {
    spectrum,
    width,
    split,
    silhouette,
    features,
    labels,
    thresholds,
    neighbours: options.neighbours,
    rng: options.rng,
  }
  const verdict = holdOut(context, smaller)
  if (smallerSize / count <= thresholds.maxClusterShare) return verdict
  const other = holdOut(context, 1 - smaller)
  return morePoisonous(other, verdict) ? other : verdict
}
