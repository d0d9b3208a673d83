import type { FeatureMatrix } from '../data/matrix.js'
import { choleskyWithRidge, solveLower } from '../linalg/decompositions.js'
import { type Rng, shuffledIndices } from '../util/rng.js'
import { medianPairDistance } from './random-fourier.js'

export interface NystromOptions {
  /** Records drawn as the kernel's landmarks: the features' count (at most the rows). */
  readonly landmarkCount: number
  /** The Gaussian kernel's width as a share of the median distance between records. */
  readonly bandwidthShare: number
  readonly rng: Rng
}

/**
 * Share of the landmark kernel's mean diagonal added to it before it is factored: random landmarks may be
 * near-copies, whose kernel is singular to working precision.
 */
const ridgeShare = 1e-3
/** Records whose kernel against the landmarks is held at a time (landmarks × this, in doubles). */
const blockRows = 1024

/** Squared norm of row `row` of a row-major `cols`-wide array. */
function squaredNorm(data: ArrayLike<number>, row: number, cols: number): number {
  let sum = 0
  for (let col = 0; col < cols; col++) sum += data[row * cols + col] ** 2
  return sum
}

/** Records' values and squared norms, row-major, as the kernel reads them. */
interface Points {
  readonly data: ArrayLike<number>
  readonly norms: Float64Array
  readonly cols: number
}

/** The Gaussian kernel of one centre against points `first..first+out.length`, into `out`. */
function kernelAgainst(
  points: Points,
  centre: Points,
  index: number,
  first: number,
  out: Float64Array,
  scale: number,
) {
  const { data, norms, cols } = points
  const offset = index * cols
  for (let position = 0; position < out.length; position++) {
    const row = (first + position) * cols
    let dot = 0
    for (let col = 0; col < cols; col++) dot += data[row + col] * centre.data[offset + col]
    out[position] = gaussian(norms[first + position] + centre.norms[index] - 2 * dot, scale)
  }
}

function gaussian(squaredDistance: number, scale: number): number {
  return Math.exp(Math.max(0, squaredDistance) * scale)
}

/**
 * The kernel of centres `index..index+3` against points `first..first+size`, into `out` (centre-major, `size` per
 * centre). Each point's value is read once for the four dot products, each summed in the same order as one at a
 * time, so the same bits as four `kernelAgainst` calls for under half the loads.
 */
function kernelAgainstFour(
  points: Points,
  centres: Points,
  index: number,
  first: number,
  size: number,
  out: Float64Array,
  scale: number,
) {
  const { data, norms, cols } = points
  const c0 = index * cols
  const c1 = c0 + cols
  const c2 = c1 + cols
  const c3 = c2 + cols
  const centreData = centres.data
  for (let position = 0; position < size; position++) {
    const row = (first + position) * cols
    let dot0 = 0
    let dot1 = 0
    let dot2 = 0
    let dot3 = 0
    for (let col = 0; col < cols; col++) {
      const value = data[row + col]
      dot0 += value * centreData[c0 + col]
      dot1 += value * centreData[c1 + col]
      dot2 += value * centreData[c2 + col]
      dot3 += value * centreData[c3 + col]
    }
    const norm = norms[first + position]
    out[position] = gaussian(norm + centres.norms[index] - 2 * dot0, scale)
    out[size + position] = gaussian(norm + centres.norms[index + 1] - 2 * dot1, scale)
    out[2 * size + position] = gaussian(norm + centres.norms[index + 2] - 2 * dot2, scale)
    out[3 * size + position] = gaussian(norm + centres.norms[index + 3] - 2 * dot3, scale)
  }
}

/**
 * Nyström features of a Gaussian kernel on landmarks drawn from the records, its width a share of the median
 * distance between records: `K(x, L) · C⁻ᵀ` where `K(L, L) = C Cᵀ`, so the features' inner products are the
 * kernel's projection on the landmarks' span and a linear model on them is a kernel machine on the landmarks.
 * Factored rather than put through an eigendecomposition, which a linear model's predictions do not tell apart (the
 * two maps differ by a rotation) and which costs many times a Cholesky factor of the same side.
 * @see Williams, Seeger. Using the Nyström Method to Speed Up Kernel Machines. NeurIPS 2001.
 */
export function nystromFeatures(matrix: FeatureMatrix, options: NystromOptions): FeatureMatrix {
  const { rows, cols, data } = matrix
  const width = medianPairDistance(matrix, options.rng) * options.bandwidthShare
  const scale = -1 / (2 * width * width)
  const centres = landmarksOf(matrix, options.landmarkCount, options.rng)
  const count = centres.norms.length
  const records: Points = {
    data,
    norms: Float64Array.from({ length: rows }, (_, row) => squaredNorm(data, row, cols)),
    cols,
  }
  const landmarkKernel = new Float64Array(count * count)
  for (let landmark = 0; landmark < count; landmark++) {
    const out = landmarkKernel.subarray(landmark * count, (landmark + 1) * count)
    kernelAgainst(centres, centres, landmark, 0, out, scale)
  }
  const lower = choleskyWithRidge(landmarkKernel, count, ridgeShare)
  const features = new Float32Array(rows * count)
  // Landmark-major blocks: each step of the triangular solve runs over a block of records at once.
  const block = new Float64Array(count * blockRows)
  for (let first = 0; first < rows; first += blockRows) {
    const size = Math.min(blockRows, rows - first)
    const held = block.subarray(0, count * size)
    let landmark = 0
    for (; landmark + 3 < count; landmark += 4)
      kernelAgainstFour(records, centres, landmark, first, size, held.subarray(landmark * size), scale)
    for (; landmark < count; landmark++) {
      const out = held.subarray(landmark * size, (landmark + 1) * size)
      kernelAgainst(records, centres, landmark, first, out, scale)
    }
    solveLower(lower, held, count, size)
    for (let landmark = 0; landmark < count; landmark++)
      for (let position = 0; position < size; position++)
        features[(first + position) * count + landmark] = held[landmark * size + position]
  }
  return { data: features, rows, cols: count }
}

/** `count` records drawn at random (all of them when fewer), with their squared norms. */
function landmarksOf(matrix: FeatureMatrix, landmarkCount: number, rng: Rng): Points {
  const { rows, cols, data } = matrix
  const count = Math.min(landmarkCount, rows)
  const chosen = shuffledIndices(rows, rng).subarray(0, count)
  const landmarks = new Float64Array(count * cols)
  for (let landmark = 0; landmark < count; landmark++) {
    const row = chosen[landmark]
    landmarks.set(data.subarray(row * cols, (row + 1) * cols), landmark * cols)
  }
  const norms = Float64Array.from({ length: count }, (_, landmark) => squaredNorm(landmarks, landmark, cols))
  return { data: landmarks, norms, cols }
}
