/**
 * Crowdsourced annotations as parallel typed arrays, one entry per (item, annotator, label) answer. Items,
 * annotators and classes are dense indices into the id lists; the core never sees the strings.
 */
export interface AnnotationTable {
  readonly itemIds: readonly string[]
  readonly annotatorIds: readonly string[]
  /** Class names, index = class code. */
  readonly classes: readonly string[]
  /** Item index of each annotation. */
  readonly item: Int32Array
  /** Annotator index of each annotation. */
  readonly annotator: Int32Array
  /** Class code of each annotation's label. */
  readonly label: Int32Array
  /** When each answer was given, in seconds; NaN when unknown. Absent when the table has no time column. */
  readonly time?: Float64Array
}

/** What the crowd says about each item: a posterior over classes and the consensus label. */
export interface Consensus {
  /** itemCount × classCount posteriors, row-major; every row sums to 1. */
  readonly posterior: Float64Array
  /** Argmax of each posterior row (ties go to the lower class code). */
  readonly label: Int32Array
  /** The posterior of the consensus label, in [0, 1]. */
  readonly confidence: Float64Array
}

/** The aggregation models by name; each is a `@see`-cited function in its own file. */
export const aggregationModels = ['majority-vote', 'dawid-skene', 'one-coin', 'glad', 'mace'] as const
export type AggregationModel = (typeof aggregationModels)[number]

/** Options every EM model shares. */
export interface EmOptions {
  /** Stop when no posterior moves by more than this; 0 runs exactly `maxIterations`. Default 1e-6. */
  tolerance?: number
  /** Default 100. */
  maxIterations?: number
  /**
   * Per-annotator weight in [0, 1] (default 1): the exponent of that annotator's likelihood and the weight of
   * its votes; 0 leaves the annotator out of the consensus while its own parameters are still estimated.
   */
  annotatorWeight?: Float64Array
  /** Known true class per item, −1 where unknown: those posteriors are fixed to the gold class. */
  gold?: Int32Array
  /** Posteriors to start EM from (itemCount × classCount); default the (weighted) majority vote. */
  start?: Float64Array
}

/** A model's fit: the consensus and, for the models that have them, per-annotator confusion matrices. */
export interface ModelFit extends Consensus {
  readonly model: AggregationModel
  readonly iterations: number
  /** annotatorCount × classCount × classCount, P(label l | true class k) at [(j·K + k)·K + l]. */
  readonly confusion?: Float64Array
  /** Model-specific per-annotator parameters (GLAD ability, MACE competence), JSON-safe. */
  readonly annotatorParameter?: Float64Array
  /** Model-specific per-item parameters (GLAD's inverse difficulty β). */
  readonly itemParameter?: Float64Array
}
