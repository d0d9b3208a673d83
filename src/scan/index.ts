import type { Dataset } from '../data/dataset.js'
import type { ScanReport } from '../domain/index.js'
import { createDeferredDefaultBackend } from '../linalg/default-backend.js'
import { type ScanOptions, scanDataset } from './scan.js'

export type { ScanOptions, ScanProgress } from './scan.js'
export { scanDataset } from './scan.js'

/**
 * Scans a dataset with the fastest linear-algebra backend available on this machine (native ONNX Runtime when it
 * loads, portable TypeScript otherwise) unless the caller brings one; it loads when the scan first needs it.
 */
export async function scan(dataset: Dataset, options: Partial<ScanOptions> = {}): Promise<ScanReport> {
  if (options.backend) return scanDataset(dataset, { ...options, backend: options.backend })
  const backend = createDeferredDefaultBackend()
  // Releasing ONNX Runtime's sessions took 56–182 ms of this thread's wall time (0–30 ms of its CPU) at the end of a
  // scan of MNIST under load, after the last detector; released when this thread's searches are done, it falls in
  // its wait for the workers.
  let releasing: Promise<void> | undefined
  const onBackendIdle = () => {
    releasing = backend.dispose()
    // Awaited below: a failure is the scan's, not an unhandled rejection while the detectors run.
    releasing.catch(() => {})
  }
  try {
    return await scanDataset(dataset, { ...options, backend, onBackendIdle })
  } finally {
    await releasing
    await backend.dispose()
  }
}
