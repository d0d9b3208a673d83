import type { Dataset } from '../data/dataset.js'
import { type DetectorId, detectorIds, detectorRegistry } from '../detectors/registry.js'
import { type DetectorOutcome, parseDetectorParams, runDetector } from '../detectors/runner.js'
import type { Detector } from '../detectors/types.js'
import type { OperatingPoint } from '../domain/index.js'
import type { LinalgBackend } from '../linalg/backend.js'
import { createDetectorInput } from '../scan/analysis.js'
import { defaultGeometryDimensions, prepareFeatures } from '../scan/features.js'
import { fuseDetectorResults } from '../scan/fusion.js'
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
}

/**
 * Runs every registered detector once on a poisoned dataset, sharing features, neighbours and out-of-fold
 * probabilities between them exactly as `scanDataset` does, and scores each detector and their fusion.
 */
export async function benchDetection(
  dataset: Dataset,
  poisoned: Uint8Array,
  options: DetectionOptions,
): Promise<DetectionBench> {
  const { backend, seed, now } = options
  const stepCount = detectorIds.length + 1
  const progress = (step: string, index: number, fraction: number) =>
    options.onProgress?.(step, (index + fraction) / stepCount)
  const started = now()
  progress('features', 0, 0)
  const features = await prepareFeatures(dataset, {
    backend,
    seed,
    geometryDimensions: defaultGeometryDimensions,
  })
  const featuresMs = now() - started
  const input = createDetectorInput(dataset, features, { backend, seed, folds: 5 })
  const outcomes: DetectorOutcome[] = []
  for (const [index, id] of detectorIds.entries()) {
    const detector: Detector<unknown> = detectorRegistry[id]
    const params = parseDetectorParams(detector, undefined)
    const onProgress = (fraction: number) => progress(id, index + 1, fraction)
    outcomes.push(await runDetector(detector, input, params, { seed, now, onProgress }))
  }
  const runs = outcomes.flatMap((outcome) =>
    outcome.status === 'ok'
      ? [{ detector: detectorRegistry[outcome.id as DetectorId], result: outcome.result }]
      : [],
  )
  const fused = fuseDetectorResults(dataset.rowCount, runs, String, options.operatingPoint)
  return {
    detectors: outcomes.map((outcome) => describeOutcome(outcome, poisoned)),
    fused: scoreDetection(fused.suspicion, fused.flagged, poisoned),
    fusedFlagged: fused.flagged,
    featuresMs,
  }
}

function describeOutcome(outcome: DetectorOutcome, poisoned: Uint8Array): DetectorBench {
  const base = { id: outcome.id, status: outcome.status, durationMs: outcome.durationMs }
  if (outcome.status !== 'ok') return { ...base, reason: outcome.reason }
  const { suspicion, flagged } = outcome.result
  return { ...base, score: scoreDetection(suspicion, flagged, poisoned) }
}
