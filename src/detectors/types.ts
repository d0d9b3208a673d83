import type { z } from 'zod'
import type { Dataset, LabelColumn } from '../data/dataset.js'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import type { DetectedAttack, FindingKind, Requirement } from '../domain/index.js'
import type { NeighbourGraph } from '../linalg/backend.js'
import type { FoldExecutor } from '../models/cross-validation.js'
import type { ClassSpectra } from './class-spectra.js'

/**
 * Everything a detector may read. Expensive shared analyses (neighbour graph, out-of-fold probabilities, class
 * spectra) are computed on first request and reused by every detector of the same scan.
 */
export interface DetectorInput {
  readonly rowCount: number
  readonly ids: readonly string[]
  readonly labels?: LabelColumn
  readonly texts?: readonly string[]
  /** The dataset as loaded: raw feature columns, pixels with `imageShape`, texts, sources. */
  readonly dataset: Dataset
  /** Dense features for geometry (standardised, projected); rows align with the dataset. */
  readonly features?: FeatureMatrix
  /** What the built-in model trains on: sparse TF-IDF for text, every (scaled) column otherwise. */
  readonly modelFeatures?: FeatureMatrix | SparseMatrix
  /** Nearest neighbours of every record among the others, nearest first. */
  neighbours(k: number): Promise<NeighbourGraph>
  /** Out-of-fold class probabilities of the built-in model (rows × classes), for labelled records only. */
  outOfFoldProbabilities(): Promise<FeatureMatrix>
  /** True when `outOfFoldProbabilities` are the caller's own, to be read as they are rather than second-guessed. */
  readonly probabilitiesGiven?: boolean
  /** Each class measured against the others on the dense features; needs labels and features. */
  classSpectra(): Promise<ClassSpectra>
}

/** An analysis the detectors of a scan share: each is computed once, when first asked for. */
export type SharedAnalysis = 'neighbours' | 'outOfFoldProbabilities' | 'classSpectra'

export interface RunContext {
  readonly seed: number
  /** Called with the fraction of this detector's work done, in [0,1]. */
  readonly onProgress?: (fractionDone: number) => void
  /** Aborted by the caller; a long detector may check it between its own steps (`throwIfAborted`). */
  readonly signal?: AbortSignal
  /**
   * Runs cross-validation folds a detector trains beyond the shared out-of-fold probabilities, with the same
   * results; default one after another on the calling thread. A scan hands its own (worker threads) to the
   * detectors that run on its thread.
   */
  readonly folds?: FoldExecutor
}

/** JSON-safe dataset-level facts a detector reports (thresholds used, estimated noise matrix, …). */
export type DetectorInfo = Record<string, unknown>

/** Per-record output of one detector; every array has one entry per record, in input order. */
export interface DetectorResult<Info extends DetectorInfo = DetectorInfo> {
  /** In [0,1]; higher is more suspicious. Read as the chance the record is poisoned, not as a rank. */
  readonly suspicion: Float32Array
  /** 1 where the detector, at its default operating point, flags the record. */
  readonly flagged: Uint8Array
  /** Why a record scored as it did; set for flagged records at least. */
  readonly explanations: readonly (string | undefined)[]
  /** A more specific kind for some records (a `near_duplicate` detector reporting a `flood`); else `kind`. */
  readonly findingKinds?: readonly (FindingKind | undefined)[]
  /** Label the evidence points to, as a class code (-1 when none). */
  readonly suggestedLabels?: Int32Array
  /**
   * P-value of the detector's dataset-level test that the threat it looks for is present at all (a mined trigger,
   * an attacked class pair, more extreme outliers than chance), against a null drawn from the scanned data;
   * unset for detectors whose evidence is per record only. Fusion lets a detector whose test finds nothing at the
   * scan's false-discovery rate add no flags.
   */
  readonly datasetPValue?: number
  /**
   * Each record's chance of being a false alarm if flagged (its local false-discovery rate), from a null drawn from
   * the scanned data; fusion's false-discovery control reads it, and one minus `suspicion` where it is unset.
   */
  readonly falseAlarmChances?: Float64Array
  /** Attacks found at the dataset level, for the scan's verdict (the detector's id is filled in by the scan). */
  readonly attacks?: readonly Omit<DetectedAttack, 'detector'>[]
  /** JSON-safe dataset-level facts (thresholds used, estimated noise matrix, …); the report's `info`. */
  readonly info: Info
  readonly warnings: readonly string[]
}

export interface Detector<Params = unknown, Info extends DetectorInfo = DetectorInfo> {
  readonly id: string
  readonly kind: FindingKind
  /** One line for --help, listings and the UI. */
  readonly summary: string
  /** What the input must hold; the pipeline skips the detector, with the reason, when something is missing. */
  readonly requires: readonly Requirement[]
  /**
   * Set when the detector's scores already rest on a dataset-level test (an attacked class pair, a mined trigger):
   * fusion then lets them stand alone instead of averaging them with the other detectors of the kind.
   */
  readonly standalone?: boolean
  /**
   * The most this detector's evidence can say about poisoning, in (0,1] (default 1). Label disagreement alone
   * cannot tell a planted flip from an honest labelling mistake, so such detectors declare less than 1 and leave
   * the top of the ranking to evidence of an attack.
   */
  readonly certainty?: number
  /**
   * The shared analyses `run` awaits before any work of its own, so a scan starts them early and hands the detector
   * to a worker thread once they are ready instead of letting it hold the worker while it waits. Unset: the
   * detector asks for what it needs as it goes.
   */
  readonly awaits?: readonly SharedAnalysis[]
  /** Parameters with their defaults; CLI and API derive from this schema. */
  readonly params: z.ZodType<Params>
  run(input: DetectorInput, params: Params, context: RunContext): Promise<DetectorResult<Info>>
}

/** Certainty of evidence that rests on label disagreement alone; see `Detector.certainty`. */
export const labelEvidenceCertainty = 0.95

/**
 * Declares a detector with its parameters typed from its schema and its `info` from what `run` returns, so the
 * report's `info` for it is typed without being written out by hand.
 */
export function defineDetector<Params, Info extends DetectorInfo>(
  detector: Detector<Params, Info>,
): Detector<Params, Info> {
  return detector
}
