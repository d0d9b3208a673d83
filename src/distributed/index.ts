export type { Coordinator, DistributedOptions } from './coordinator.js'
export { openCoordinator } from './coordinator.js'
export { detectorQueueName, scanJobSchema, scanQueueName } from './jobs.js'
export { type CleanOptions, cleanAbandonedRuns } from './reap.js'
export {
  type DistributedScanResult,
  type JobCounts,
  type JobSplit,
  scanFileOnWorkers,
  summariseJobs,
} from './scan-file.js'
export type { ReapedRun, ScanJobRecord, ScanStore } from './scan-store.js'
export { openScanStore } from './scan-store.js'
export { type ScanWorker, type ScanWorkerOptions, startScanWorker } from './worker.js'
