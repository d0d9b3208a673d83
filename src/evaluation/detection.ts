import type { Dataset } from '../data/dataset.js'
import { listDetectors } from '../detectors/registry.js'
import type { OperatingPoint } from '../domain/index.js'
import type { LinalgBackend } from '../linalg/backend.js'
import {
  configureDetectors,
  type DetectorOutcome,
  fuseOutcomes,
  prepareDetectorInput,
  runDetectors,
} from '../scan/pipeline.js'
import { type DetectionScore, scoreDetection } from './detection-score.js'

/** One detector's result on one poisoned dataset; scores are absent unless it ran. */
export interface DetectorBench {
  readonly id: string
  readonly status: DetectorOutcome['status']
  /** Wall time as the scan report gives it: the first detector to need neighbours or the model pays for them. */
  readonly durationMs: number
  readonly reason?: string
  readonly score?: DetectionScore
}

/** Every detector alone and the fused scan, scored against the poisoned rows. */
export interface DetectionBench {
  readonly detectors: DetectorBench[]
  readonly fused: DetectionScore
  /** Fused decision per record (1 = flagged), what `scan --export-clean` would remove. */
  readonly fusedFlagged: Uint8Array
  /** Time to derive the shared representations (PCA, TF-IDF) before any detector ran. */
  readonly featuresMs: number
}

export interface DetectionOptions {
  backend: LinalgBackend
  seed: number
  operatingPoint: OperatingPoint
  now: () => number
  /** Called with a detector id (or 'features') and the fraction of this dataset's detection done. */
  onProgress?: (step: string, fractionDone: number) => void
  signal?: AbortSignal
}

/**
 * Runs every registered detector once on a poisoned dataset through the scan's own pipeline (one input, shared
 * analyses, default parameters), and scores each detector and their fusion.
 */
export async function benchDetection(
  dataset: Dataset,
  poisoned: Uint8Array,
  options: DetectionOptions,
): Promise<DetectionBench> {
  const { backend, seed, now, signal } = options
  const detectors = configureDetectors(listDetectors())
  const stepCount = detectors.length + 1
  const progress = (step: string, index: number, fraction: number) =>
    options.onProgress?.(step, (index + fraction) / stepCount)
  const started = now()
  progress('features', 0, 0)
  const input = await prepareDetectorInput(dataset, { backend, seed, signal })
  const featuresMs = now() - started
  const outcomes = await runDetectors(input, detectors, {
    seed,
    now,
    signal,
    onProgress: (id, fraction, index) => progress(id, index + 1, fraction),
  })
  const fused = fuseOutcomes(dataset, outcomes, options.operatingPoint)
  return {
    detectors: outcomes.map((outcome) => describeOutcome(outcome, poisoned)),
    fused: scoreDetection(fused.suspicion, fused.flagged, poisoned),
    fusedFlagged: fused.flagged,
    featuresMs,
  }
}

function describeOutcome(outcome: DetectorOutcome, poisoned: Uint8Array): DetectorBench {
  const base = { id: outcome.detector.id, status: outcome.status, durationMs: outcome.durationMs }
  if (outcome.status !== 'ok') return { ...base, reason: outcome.reason }
  const { suspicion, flagged } = outcome.result
  return { ...base, score: scoreDetection(suspicion, flagged, poisoned) }
}
