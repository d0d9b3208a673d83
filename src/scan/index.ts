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
  const backend = options.backend ?? createDeferredDefaultBackend()
  try {
    return await scanDataset(dataset, { ...options, backend })
  } finally {
    if (!options.backend) await backend.dispose()
  }
}
