import { isPoisonguardError } from '../errors.js'
import type { LinalgBackend } from './backend.js'
import { createOnnxBackend, type OnnxBackendOptions } from './onnx/backend.js'
import { createPortableBackend } from './portable.js'

/** A backend that may carry why the fast one could not be used. */
export interface DefaultBackend extends LinalgBackend {
  /** Set when the native backend failed to load and the portable backend stands in. */
  readonly fallbackReason?: string
}

/**
 * The ONNX backend when onnxruntime-node loads (Node only), else the portable one with `fallbackReason` set.
 * `createFast` replaces the native factory (another native backend, or a failing one in tests).
 */
export async function createDefaultBackend(
  options: OnnxBackendOptions = {},
  createFast: (options: OnnxBackendOptions) => Promise<LinalgBackend> = createOnnxBackend,
): Promise<DefaultBackend> {
  try {
    return await createFast(options)
  } catch (error) {
    // Bad options are the caller's mistake, not a missing native library.
    if (isPoisonguardError(error)) throw error
    const reason = error instanceof Error ? error.message : String(error)
    return { ...createPortableBackend(), fallbackReason: `native backend could not be used: ${reason}` }
  }
}

/**
 * The default backend (`createDefaultBackend`), created when first used rather than at once: loading ONNX Runtime
 * and opening its sessions takes about 60 ms of the calling thread, which a scan spends better once its
 * cross-validation folds are on their way to the worker threads (the first product is the PCA's, after them).
 * `dispose` releases what was created once the products and searches under way on it are done, and a later product
 * or search creates it again, so a scan can release the sessions as soon as its own searches are done rather than
 * at its end, while a search another detector asked for still runs to its end.
 */
export function createDeferredDefaultBackend(options: OnnxBackendOptions = {}): LinalgBackend {
  let created: Promise<DefaultBackend> | undefined
  const underWay = new Set<Promise<unknown>>()
  const run = <T>(work: (backend: DefaultBackend) => Promise<T>): Promise<T> => {
    created ??= createDefaultBackend(options)
    const running = created.then(work)
    underWay.add(running)
    const done = () => underWay.delete(running)
    running.then(done, done)
    return running
  }
  return {
    name: 'default',
    knn: (base, queries, k, knnOptions) => run((backend) => backend.knn(base, queries, k, knnOptions)),
    matmul: (a, b) => run((backend) => backend.matmul(a, b)),
    dispose: async () => {
      const releasing = created
      created = undefined
      await Promise.allSettled([...underWay])
      if (releasing) await (await releasing).dispose()
    },
  }
}
