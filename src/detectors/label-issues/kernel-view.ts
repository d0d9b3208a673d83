import type { FeatureMatrix } from '../../data/matrix.js'
import { nystromFeatures } from '../../features/nystrom.js'
import { crossValidatedProbabilities } from '../../models/cross-validation.js'
import { createRng } from '../../util/rng.js'
import type { ViewWeights } from './posterior.js'

/**
 * Landmarks of the kernel, and so its features: 1,000 ranked 10% flips of 1,000 digits of 784 pixels as 500 did
 * (0.941 each, seed 1) and of 8×8 digits 0.002 higher, at two to three times the cost.
 */
const landmarkCount = 500
/**
 * The kernel's width as a share of the median distance between records, as for the random Fourier features of few
 * columns: half ranked 10% flips above the whole distance on 1,000 28×28 digits and two-class digits (0.941 against
 * 0.936, 0.877 against 0.861, seed 1) and within 0.002 of it on 8×8 digits; on raw kernel columns twice it ranked lower still.
 */
const bandwidthShare = 0.5
/**
 * Records × classes at most: the kernel model's cross-validation costs about rows × landmarks × classes, so it is
 * tried on a few thousand images (about 0.5–1 CPU s) and not on the 10,000 MNIST digits of ten classes, whose
 * default scan must not grow.
 */
const maximumWork = 30_000
/**
 * How much more the linear model may know of the labels than the neighbours (their exponents' ratio) for the
 * kernel to be tried: on text (spam 3.0 against 0.02) and tables (mail statistics 1.9 against 0.3) the linear model
 * fits, and a kernel on the geometry only costs; on digits the model's is at most about 1.5 times the neighbours'.
 */
const maximumModelLead = 2

/**
 * Whether the kernel model is worth training: the data are small enough and the linear model, read per class, does
 * not know the labels much better than the neighbours do.
 */
export function readsKernel(weights: ViewWeights, rowCount: number, classCount: number): boolean {
  return rowCount * classCount <= maximumWork && weights.model <= maximumModelLead * weights.neighbours
}

/**
 * Out-of-fold class probabilities of the linear model on Nyström features of a Gaussian kernel on the geometry
 * (the scan's dense representation): a kernel machine's curved boundaries, which part classes no half-space parts,
 * trained on folds drawn as the linear model's. Every record must be labelled.
 */
export function kernelModelProbabilities(
  geometry: FeatureMatrix,
  codes: Int32Array,
  classCount: number,
  seed: number,
  signal?: AbortSignal,
): FeatureMatrix {
  const features = nystromFeatures(geometry, { landmarkCount, bandwidthShare, rng: createRng(seed) })
  return crossValidatedProbabilities(features, codes, classCount, { rng: createRng(seed), signal })
}
