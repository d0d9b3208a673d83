import type { Dataset } from './dataset.js'
import type { FeatureMatrix, SparseMatrix } from './matrix.js'

/**
 * Shared memory where the platform offers it (Node; browsers only when cross-origin isolated). Arrays there reach
 * worker threads without a copy per worker: at a million rows a scan's matrices and neighbour graph are gigabytes,
 * and a copy per worker (or per request) was what pushed a whole scan past its memory bar.
 */
const hasSharedMemory = typeof SharedArrayBuffer === 'function'

type Shareable = Float32Array | Int32Array

/** Whether `array` already lives in shared memory. */
export const isShared = (array: Shareable): boolean =>
  hasSharedMemory && array.buffer instanceof SharedArrayBuffer

const buffer = (bytes: number) => (hasSharedMemory ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes))

/** A zeroed array of `length` in shared memory when the platform has it, in ordinary memory otherwise. */
export const shareableFloat32 = (length: number): Float32Array => new Float32Array(buffer(length * 4))

/** As `shareableFloat32`, of 32-bit integers. */
export const shareableInt32 = (length: number): Int32Array => new Int32Array(buffer(length * 4))

/**
 * Copies made by `toShared`, by the array copied: a matrix the dataset and its representation both hold (pixels
 * the model trains on as they are) is then sent to workers as one copy, not one per use.
 */
const copies = new WeakMap<Shareable, Shareable>()

/** The shared copy `toShared` made of `array`, if any. */
export const sharedCopyOf = <T extends Shareable>(array: T): T | undefined =>
  copies.get(array) as T | undefined

/**
 * `array` itself when already shared (or when nothing can be), else its copy in shared memory, made once and kept
 * as long as `array` is.
 */
export function toShared<T extends Shareable>(array: T): T {
  if (!hasSharedMemory || isShared(array)) return array
  let copy: Shareable | undefined = sharedCopyOf(array)
  if (!copy) {
    copy = array instanceof Float32Array ? shareableFloat32(array.length) : shareableInt32(array.length)
    copy.set(array)
    copies.set(array, copy)
  }
  return copy as T
}

/** The matrix with its arrays in shared memory (the same object when they already are). */
export function toSharedMatrix<M extends FeatureMatrix | SparseMatrix>(matrix: M): M {
  if ('indptr' in matrix) {
    const { indptr, indices, values } = matrix
    if (isShared(indptr) && isShared(indices) && isShared(values)) return matrix
    return { ...matrix, indptr: toShared(indptr), indices: toShared(indices), values: toShared(values) }
  }
  if (isShared(matrix.data)) return matrix
  return { ...matrix, data: toShared(matrix.data) }
}

/** How many times the loaded columns a scan's large arrays come to at their peak (about 3.8 at a million rows). */
const peakToLoaded = 4

/**
 * The dataset with its loaded features and embeddings moved to shared memory where a scan of it may pass its memory
 * budget: the caller keeps this one copy, and the workers read the same bytes, rather than an ordinary copy here and
 * a shared one beside it for the scan's whole length (256 MiB each at a million rows of 64 columns). Below it they
 * stay where they are: the scan's own thread reads shared memory more slowly (a default MNIST scan took 0.6 s
 * longer reading its pixels from it).
 */
export function shareLoadedArraysPastBudget(dataset: Dataset, maxBytes: number | undefined): Dataset {
  const loadedBytes = (dataset.features?.data.byteLength ?? 0) + (dataset.embeddings?.data.byteLength ?? 0)
  return maxBytes !== undefined && peakToLoaded * loadedBytes > maxBytes
    ? shareLoadedArrays(dataset)
    : dataset
}

function shareLoadedArrays(dataset: Dataset): Dataset {
  const { features, embeddings } = dataset
  if (!features && !embeddings) return dataset
  return {
    ...dataset,
    features: features && toSharedMatrix(features),
    embeddings: embeddings && toSharedMatrix(embeddings),
  }
}
