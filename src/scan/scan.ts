import type { Dataset } from '../data/dataset.js'
import { detectorRegistry, selectDetectors } from '../detectors/registry.js'
import { type DetectorOutcome, parseDetectorParams, runDetector } from '../detectors/runner.js'
import type { Detector } from '../detectors/types.js'
import type { ScanReport } from '../domain/index.js'
import type { LinalgBackend } from '../linalg/backend.js'
import { createDetectorInput } from './analysis.js'
import { defaultGeometryDimensions, prepareFeatures } from './features.js'
import { defaultFusionOptions, type FusionOptions, fuseDetectorResults } from './fusion.js'
import { buildScanReport } from './report.js'

export interface ScanProgress {
  /** 'features', 'neighbours', 'model' or a detector id. */
  step: string
  fractionDone: number
}

export interface ScanOptions {
  backend: LinalgBackend
  /** Detector ids to run (default: all); `skip` removes some. */
  detectors?: readonly string[]
  skip?: readonly string[]
  /** Parameters per detector id, validated by each detector's schema. */
  params?: Readonly<Record<string, unknown>>
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
  onProgress?: (progress: ScanProgress) => void
  /** Injected clock (milliseconds) and report time, so the core stays free of ambient time. */
  now?: () => number
  createdAt?: Date
}

/**
 * Runs the selected detectors over a dataset and fuses them into the report contract: one calibrated suspicion,
 * decision, severity and set of explained findings per record, in input order.
 */
export async function scanDataset(dataset: Dataset, options: ScanOptions): Promise<ScanReport> {
  const seed = options.seed ?? 0
  const ids = selectDetectors(options.detectors, options.skip)
  const selected = ids.map((id) => {
    const detector: Detector<unknown> = detectorRegistry[id]
    return { detector, params: parseDetectorParams(detector, options.params?.[id]) }
  })
  const report = (step: string, fractionDone: number) => options.onProgress?.({ step, fractionDone })
  report('features', 0)
  const features = await prepareFeatures(dataset, {
    backend: options.backend,
    seed,
    geometryDimensions: options.geometryDimensions ?? defaultGeometryDimensions,
  })
  report('features', 1)
  const input = createDetectorInput(dataset, features, {
    backend: options.backend,
    seed,
    folds: options.folds ?? 5,
    onProgress: report,
  })
  const now = options.now ?? (() => performance.now())
  const outcomes: DetectorOutcome[] = []
  for (const { detector, params } of selected) {
    report(detector.id, 0)
    outcomes.push(
      await runDetector(detector, input, params, {
        seed,
        now,
        onProgress: (fraction) => report(detector.id, fraction),
      }),
    )
    report(detector.id, 1)
  }
  const runs = outcomes.flatMap((outcome) =>
    outcome.status === 'ok'
      ? [{ detector: detectorRegistry[outcome.id as keyof typeof detectorRegistry], result: outcome.result }]
      : [],
  )
  const operatingPoint: FusionOptions = {
    ...defaultFusionOptions,
    ...options.fusion,
    ...(options.fdr === undefined ? {} : { fdr: options.fdr }),
  }
  const fused = fuseDetectorResults(
    dataset.rowCount,
    runs,
    (code) => dataset.labels?.classes[code] ?? String(code),
    operatingPoint,
  )
  return buildScanReport(dataset, outcomes, fused, operatingPoint, options.createdAt ?? new Date())
}
