import type { Dataset } from '../data/dataset.js'
import type { OperatingPoint } from '../domain/index.js'
import type { LinalgBackend } from '../linalg/backend.js'
import type { ProgressOptions } from '../util/progress.js'
import type { SuccessMeasure } from './attack-success.js'
import type { UnsupportedAttack } from './bench-plan.js'
import type { DetectorBench } from './detection.js'
import type { DetectionScore } from './detection-score.js'

export interface BenchProgress {
  /** What runs now, e.g. `mnist label-flip 0.1: label-issues`. */
  step: string
  /** Fraction of the whole benchmark done, in [0,1]. */
  fractionDone: number
}

export interface BenchOptions extends ProgressOptions<[progress: BenchProgress]> {
  /** Linear-algebra backend; default the fastest available (created and disposed by the benchmark). */
  backend?: LinalgBackend
  /** A small subset for CI: the mnist training subset of 2,000 rows, two attacks, one rate. */
  quick?: boolean
  /** Built-in datasets to bench (`mnist`, `spam`); default both, `mnist` only under `quick`. */
  builtin?: readonly string[]
  /** Datasets of the user, each split 80/20 with the seed into training and test sets. */
  datasets?: readonly { name: string; dataset: Dataset }[]
  /** Attack ids; default every attack a dataset supports (two under `quick`). */
  attacks?: readonly string[]
  /** Poisoning rates in (0, 1]; default 0.01, 0.05, 0.1 (0.1 under `quick`). */
  rates?: readonly number[]
  /** Seed of splits, attacks, scans and models; default 1. */
  seed?: number
  onProgress?: (progress: BenchProgress) => void
  /** Checked before each cell and between the steps of a scan; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
  /** Injected clock in milliseconds, so the library stays free of ambient time. */
  now?: () => number
}

/** Clean test accuracy and attack success of the built-in model trained on one version of the training set. */
export interface ModelEffect {
  readonly trainRows: number
  /** Share of the clean test set classified correctly, in [0,1]; null when no training record is left. */
  readonly accuracy: number | null
  /** Share of the attacked inputs classified the attacker's way, in [0,1]; null when the attack has none. */
  readonly attackSuccess: number | null
}

/** The built-in model trained on the poisoned data, on the scan's cleaned copy and on the truly clean rows. */
export interface DownstreamBench {
  readonly measure: SuccessMeasure
  /** Inputs behind `attackSuccess` (triggered test records, or targets). */
  readonly successInputs: number
  readonly poisoned: ModelEffect
  /** Trained without the records the fused scan flags. */
  readonly cleaned: ModelEffect
  /** Trained without the records the attack poisoned (the ground truth). */
  readonly oracle: ModelEffect
}

/** One attack at one rate on one dataset: detection quality of every detector and the effect on a model. */
export interface BenchCell {
  readonly dataset: string
  readonly attack: string
  /** Requested share of poisoned records; null for attacks without a rate. */
  readonly rate: number | null
  readonly seed: number
  /** `skipped` when the attack cannot run on this dataset at this rate (see `reason`). */
  readonly status: 'ok' | 'skipped'
  readonly reason?: string
  /** The attack's parameters after defaults. */
  readonly params?: Record<string, unknown>
  /** Records of the poisoned training set, and how many of them the attack poisoned or added. */
  readonly rows?: number
  readonly poisoned?: number
  readonly attackInfo?: Record<string, unknown>
  readonly featuresMs?: number
  readonly detectors?: DetectorBench[]
  readonly fused?: DetectionScore
  readonly downstream?: DownstreamBench
}

export interface BenchDatasetSummary {
  readonly name: string
  /** `builtin:<name>` or the path the dataset was loaded from. */
  readonly source: string
  readonly trainRows: number
  readonly testRows: number
  readonly classes: number
  /** Accuracy on the test set of the built-in model trained on the unpoisoned training set. */
  readonly cleanAccuracy: number
}

/** Everything `poisonguard bench` measured; JSON-safe (this is bench.json). */
export interface BenchResult {
  readonly tool: { readonly name: 'poisonguard'; readonly version: string }
  readonly seed: number
  readonly quick: boolean
  readonly operatingPoint: OperatingPoint
  /** Detector ids in the order they ran. */
  readonly detectors: readonly string[]
  readonly datasets: BenchDatasetSummary[]
  readonly unsupported: UnsupportedAttack[]
  readonly cells: BenchCell[]
  readonly durationMs: number
}
