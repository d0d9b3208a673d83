import type { Dataset } from '../data/dataset.js'
import type { MemoryBudget, SpillRecord } from '../data/spill.js'
import {
  type DetectorName,
  type DetectorParamsById,
  getDetector,
  selectDetectors,
} from '../detectors/registry.js'
import type { MemoryReport, ScanReport } from '../domain/index.js'
import { checkNeighbourSearchOptions } from '../linalg/ann/search.js'
import type { LinalgBackend } from '../linalg/backend.js'
import { throwIfAborted } from '../util/abort.js'
import { type ProgressOptions, progressReporter } from '../util/progress.js'
import { defaultFusionOptions, type FusionOptions } from './fusion.js'
import {
  configureDetectors,
  type DetectorInputOptions,
  fuseOutcomes,
  prepareDetectorInput,
  type RunDetectorsOptions,
  runDetectors,
} from './pipeline.js'
import { buildScanReport } from './report.js'

export interface ScanProgress {
  /** 'features', 'neighbours', 'model' or a detector id. */
  step: string
  fractionDone: number
}

export interface ScanOptions
  extends Pick<
      DetectorInputOptions,
      | 'outOfFoldProbabilities'
      | 'outOfFoldProbabilitiesSource'
      | 'executor'
      | 'countTexts'
      | 'classSpectra'
      | 'neighbourSearch'
      | 'memory'
    >,
    Pick<RunDetectorsOptions, 'detectorExecutor'>,
    ProgressOptions<[progress: ScanProgress]> {
  backend: LinalgBackend
  /** Ids of registered detectors to run (default: all); `skip` removes some. */
  detectors?: readonly DetectorName[]
  skip?: readonly DetectorName[]
  /** Parameters per detector id, validated by each detector's schema (and typed for the built-ins). */
  params?: DetectorParamsById
  seed?: number
  /** Folds of the cross-validation behind out-of-fold probabilities. */
  folds?: number
  geometryDimensions?: number
  fusion?: Partial<FusionOptions>
  /**
   * Expected share of false alarms among flagged records, and the level of every detector's dataset-level test;
   * default 0.01. Same as `fusion.fdr`.
   */
  fdr?: number
  /**
   * Called as the scan moves on: `step` is 'features', 'neighbours', 'model' or a detector id, and `fractionDone`
   * that step's share done, in [0,1]; each step reports 0 first and 1 last.
   */
  onProgress?: (progress: ScanProgress) => void
  /** Checked between steps, detectors and folds; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
  /** Injected clock (milliseconds) and report time, so the core stays free of ambient time. */
  now?: () => number
  createdAt?: Date
  /**
   * Called once, while a `detectorExecutor` runs the detectors, when this thread is done with `backend` (the
   * representation and the neighbour graph are computed): `scan` releases the native sessions it opened then,
   * while this thread waits, rather than after the last detector (a later search opens them again).
   */
  onBackendIdle?: () => void
}

/** What went past the memory budget to its spill store, for the report. */
function memoryReport(budget: MemoryBudget, spilled: readonly SpillRecord[]): MemoryReport {
  const spilledBytes = spilled.reduce((sum, record) => sum + record.bytes, 0)
  return { maxBytes: budget.maxBytes, spilledBytes, spilled: spilled.map((record) => ({ ...record })) }
}

/**
 * Runs the selected detectors over a dataset and fuses them into the report contract: one calibrated suspicion,
 * decision, severity and set of explained findings per record, in input order.
 */
export async function scanDataset(dataset: Dataset, options: ScanOptions): Promise<ScanReport> {
  if (options.neighbourSearch) checkNeighbourSearchOptions(options.neighbourSearch)
  const detectors = selectDetectors(options.detectors, options.skip).map(getDetector)
  const configured = configureDetectors(detectors, options.params)
  const notify = progressReporter(options, (progress: ScanProgress) => progress)
  const report = (step: string, fractionDone: number) => notify?.({ step, fractionDone })
  options.detectorExecutor?.prepare?.(dataset)
  const awaited = detectors.flatMap((detector) => detector.awaits ?? [])
  // Work on other threads reads the representation and analyses from shared memory rather than copies of its own.
  const sharedMemory = options.executor !== undefined || options.detectorExecutor !== undefined
  const input = await prepareDetectorInput(dataset, { ...options, awaited, sharedMemory, onProgress: report })
  // With an executor the cross-validation may run off this thread: the detectors that do not wait for it go on.
  const concurrent = options.executor !== undefined
  const running = runDetectors(input, configured, { ...options, onProgress: report, concurrent })
  // runDetectors has started the neighbour search, if any detector needs it, before its first wait.
  const { onBackendIdle } = options
  if (onBackendIdle && options.detectorExecutor)
    void input.neighbourSearch().then(onBackendIdle, onBackendIdle)
  const outcomes = await running
  options.detectorExecutor?.finish?.()
  throwIfAborted(options.signal, 'the scan')
  // The detectors of the graph failed with it; the scan fails too, with the store's own error (a full disk).
  if (input.spillFailure() !== undefined) throw input.spillFailure()
  const operatingPoint: FusionOptions = {
    ...defaultFusionOptions,
    ...options.fusion,
    ...(options.fdr === undefined ? {} : { fdr: options.fdr }),
  }
  const fused = fuseOutcomes(dataset, outcomes, operatingPoint)
  const scanReport = buildScanReport(
    dataset,
    outcomes,
    fused,
    operatingPoint,
    options.createdAt ?? new Date(),
  )
  const neighbours = await input.neighbourSearch()
  const spilled = input.spilled()
  const memory = options.memory && spilled.length > 0 ? memoryReport(options.memory, spilled) : undefined
  if (neighbours || memory) scanReport.analyses = { neighbours, memory }
  return scanReport
}
