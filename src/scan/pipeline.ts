import { type Dataset, type LabelColumn, missingContent, unusableTextReason } from '../data/dataset.js'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { shareableFloat32, shareableInt32, toSharedMatrix } from '../data/shared-memory.js'
import type { MemoryBudget } from '../data/spill.js'
import type { ClassSpectraSteps } from '../detectors/class-spectra.js'
import { checkDetectorNames } from '../detectors/registry.js'
import type {
  Detector,
  DetectorInput,
  DetectorResult,
  RunContext,
  SharedAnalysis,
} from '../detectors/types.js'
import type { OperatingPoint, Requirement } from '../domain/index.js'
import type { TextCounter } from '../features/text.js'
import type { NeighbourSearchOptions } from '../linalg/ann/search.js'
import type { LinalgBackend } from '../linalg/backend.js'
import type { FoldExecutor } from '../models/cross-validation.js'
import { compactTrainingInput } from '../models/design.js'
import { isAbortError, throwIfAborted } from '../util/abort.js'
import { parseParams } from '../util/params.js'
import { type SharedDetectorInput, startOutOfFold, withSharedAnalyses } from './analysis.js'
import { type FusedScores, fuseDetectorResults } from './fusion.js'
import { checkGivenProbabilities } from './given-probabilities.js'
import { defaultGeometryDimensions, stageRepresentation } from './representation.js'

/** Steps of preparing a detector input, in the order they may run. */
export type PreparationStep = 'features' | 'neighbours' | 'model'

export interface DetectorInputOptions {
  backend: LinalgBackend
  /** Seed of every random choice (projections, cross-validation folds); default 0. */
  seed?: number
  /** Folds of the cross-validation behind out-of-fold probabilities; default 5. */
  folds?: number
  /** Dimensions kept for neighbours and geometry when the input has more; default 64. */
  geometryDimensions?: number
  /** Called with a step and the fraction of it done, in [0,1]; 'neighbours' and 'model' run when first asked for. */
  onProgress?: (step: PreparationStep, fractionDone: number) => void
  /** Checked between steps and cross-validation folds; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
  /**
   * Out-of-fold class probabilities from the caller's own model (rows × classes, classes in sorted order, as
   * cleanlab takes them); the label detectors then use these instead of training the built-in model.
   */
  outOfFoldProbabilities?: FeatureMatrix
  /** Names the given probabilities in messages, e.g. their file; default `outOfFoldProbabilities`. */
  outOfFoldProbabilitiesSource?: string
  /**
   * Runs the built-in model's cross-validation folds; default one after another on this thread. The Node entry's
   * `createWorkerFoldExecutor` runs them on worker threads, with the same results.
   */
  executor?: FoldExecutor
  /**
   * Counts the texts' terms in blocks elsewhere, with the same results (a distributed scan's workers); default on
   * this thread.
   */
  countTexts?: TextCounter
  /**
   * Exact or approximate neighbours: by default exact below 20,000 rows and an inverted-file index from there on,
   * with its recall against exact search measured on a sample and reported.
   */
  neighbourSearch?: NeighbourSearchOptions
  /**
   * Runs the class spectra's per-class steps elsewhere, each on one class's rows, with the same results (a
   * distributed scan's workers); default on this thread.
   */
  classSpectra?: ClassSpectraSteps
  /**
   * Analyses the detectors to run will await: with an `executor`, the cross-validation among them starts as soon as
   * the model's input exists, so its folds train while this thread computes the geometry.
   */
  awaited?: readonly SharedAnalysis[]
  /**
   * Keep the representation and the shared analyses in shared memory, so worker threads (folds, detectors) read
   * them without a copy of their own; default false.
   */
  sharedMemory?: boolean
  /**
   * A budget for the scan's large arrays and where to spill past it (the Node entry's `createSpillFile`): the
   * neighbour graph then waits in the spill store, read back for each detector that asks, and the model's input goes
   * there once the model has trained on it, with the same results.
   */
  memory?: MemoryBudget
}

/**
 * Derives the representation a scan works on (once) and wraps it, with the dataset, in the input every detector
 * reads; the analyses detectors share (neighbours, out-of-fold probabilities, class spectra) are computed lazily.
 */
export async function prepareDetectorInput(
  dataset: Dataset,
  options: DetectorInputOptions,
): Promise<SharedDetectorInput> {
  const { backend, onProgress, signal } = options
  const seed = options.seed ?? 0
  const given = options.outOfFoldProbabilities
  const source = options.outOfFoldProbabilitiesSource ?? 'outOfFoldProbabilities'
  if (given) checkGivenProbabilities(given, dataset, source)
  throwIfAborted(signal, 'the scan')
  onProgress?.('features', 0)
  const geometryDimensions = options.geometryDimensions ?? defaultGeometryDimensions
  const staged = await stageRepresentation(dataset, {
    backend,
    seed,
    geometryDimensions,
    countTexts: options.countTexts,
  })
  const folds = options.folds ?? 5
  const { executor } = options
  const sharedMemory = options.sharedMemory === true
  const analysisOptions = {
    sharedMemory,
    backend,
    seed,
    folds,
    onProgress,
    signal,
    given,
    executor,
    neighbourSearch: options.neighbourSearch,
    classSpectra: options.classSpectra,
    memory: options.memory,
  }
  const early =
    staged !== undefined &&
    executor !== undefined &&
    given === undefined &&
    options.awaited?.includes('outOfFoldProbabilities') === true &&
    missingLabels(dataset.labels) === undefined
  const started = early
    ? startOutOfFold(dataset, foldInput(dataset, staged.modelInput, sharedMemory), analysisOptions)
    : undefined
  // Moved to shared memory once, and the ordinary copy dropped: at a million rows of a table the model's input is
  // 512 MiB. Where the folds train on it as it is, `foldInput` has moved it already.
  const modelInput = staged && (sharedMemory ? toSharedMatrix(staged.modelInput) : staged.modelInput)
  // Settled here too, so a scan stopped before any detector reads it leaves no unhandled rejection behind.
  started?.catch(() => {})
  const completed = await staged?.complete()
  const representation =
    completed && modelInput && sharedMemory
      ? { ...completed, modelInput, geometry: toSharedMatrix(completed.geometry) }
      : completed
  onProgress?.('features', 1)
  throwIfAborted(signal, 'the scan')
  return withSharedAnalyses(dataset, representation, { ...analysisOptions, started })
}

const sharedArrays = { int32: shareableInt32, float32: shareableFloat32 }

/**
 * What the cross-validation's folds train on. Mostly-zero pixels of a fully labelled dataset are compressed
 * straight into shared memory, so the folds leave for the workers without a copy, and before the dense input is
 * copied there: on MNIST that copy (31 MB) then runs while the folds train instead of before. Anything else goes
 * to shared memory as it is, first, so the folds do not copy it a second time; with unlabelled rows the folds
 * compact their own rows, as the density of those decides.
 */
function foldInput(
  dataset: Dataset,
  modelInput: FeatureMatrix | SparseMatrix,
  sharedMemory: boolean,
): FeatureMatrix | SparseMatrix {
  if (!sharedMemory) return modelInput
  const allLabelled = dataset.labels?.codes.every((code) => code >= 0) === true
  const compacted = allLabelled ? compactTrainingInput(modelInput, sharedArrays) : modelInput
  return compacted === modelInput ? toSharedMatrix(modelInput) : compacted
}

/** A detector with its parameters parsed and defaults filled in, ready to run. */
export interface ConfiguredDetector {
  readonly detector: Detector<unknown>
  readonly params: unknown
}

/**
 * Parses every detector's parameters from `params`, keyed by detector id (an absent id gets the defaults). A key that
 * names neither a registered detector nor one of `detectors` is an error listing the valid ids.
 */
export function configureDetectors(
  detectors: readonly Detector<unknown>[],
  params: Readonly<Record<string, unknown>> = {},
): ConfiguredDetector[] {
  const given = new Set(detectors.map((detector) => detector.id))
  checkDetectorNames(
    Object.keys(params).filter((id) => !given.has(id)),
    'in parameters',
  )
  return detectors.map((detector) => ({
    detector,
    params: parseParams('detector', detector, params[detector.id]),
  }))
}

interface OutcomeBase {
  readonly detector: Detector<unknown>
  readonly params: unknown
}

/** What became of one detector: it ran, was skipped (with the reason) or failed (with the error). */
export type DetectorOutcome =
  | (OutcomeBase & { readonly status: 'ok'; readonly durationMs: number; readonly result: DetectorResult })
  | (OutcomeBase & { readonly status: 'skipped'; readonly durationMs: 0; readonly reason: string })
  | (OutcomeBase & {
      readonly status: 'failed'
      readonly durationMs: number
      readonly reason: string
      readonly error: unknown
    })

/** Records a detector needs at the least; below this geometry and cross-validation mean nothing. */
const minimumRecordCount = 3

/** Says why labels cannot be learned from, or undefined when they can. */
function missingLabels(labels: LabelColumn | undefined): string | undefined {
  if (!labels) return 'the dataset has no label column (name it with --label)'
  const present = new Set(labels.codes.filter((code) => code >= 0))
  if (present.size < 2) return `the labels hold ${present.size} class; at least 2 are needed`
  return undefined
}

/** Says why an input is unusable, or undefined when the detector can run. */
function missingRequirement(input: DetectorInput, requirement: Requirement): string | undefined {
  switch (requirement) {
    case 'labels':
      return missingLabels(input.labels)
    case 'features': {
      if (input.features && input.features.cols > 0) return undefined
      const emptyText = unusableTextReason(input.dataset)
      return emptyText
        ? `${emptyText}, and there are no numeric features or images to use instead`
        : 'the dataset has no numeric features, text or images (choose columns with --features)'
    }
    case 'text':
      if (input.texts) return undefined
      return unusableTextReason(input.dataset) ?? 'the dataset has no text column (name it with --text)'
    case 'images':
      return input.dataset.imageShape && input.dataset.features
        ? undefined
        : 'the dataset holds no images (an image folder, or pixel columns forming a square image)'
    case 'annotations':
      return input.dataset.crowd
        ? undefined
        : 'no crowd answers about the records (give them with --annotations)'
    default:
      return missingContent(input.dataset, requirement)
  }
}

/**
 * Runs detectors somewhere else than this thread (the Node entry's `createWorkerDetectorExecutor`: worker threads),
 * each with the same result as `detector.run` here; what it does not accept runs here.
 */
export interface DetectorExecutor {
  /** Whether `detector` can run there: the built-ins can, a detector registered at run time may not. */
  accepts(detector: Detector<unknown>): boolean
  /**
   * Told of the dataset before its input is prepared, so workers start and load the detectors' code while this
   * thread derives the representation.
   */
  prepare?(dataset: Dataset): void
  /**
   * Told that the scan will run no more detectors, so idle workers may end while this thread fuses the results
   * rather than after; a detector run later starts them again.
   */
  finish?(): void
  run(
    detector: Detector<unknown>,
    input: DetectorInput,
    params: unknown,
    context: RunContext,
  ): Promise<DetectorResult>
}

/** Why `detector` cannot run on `input`, or undefined when it can. */
function whySkipped(detector: Detector<unknown>, input: DetectorInput): string | undefined {
  if (input.rowCount < minimumRecordCount) return `needs at least ${minimumRecordCount} records`
  for (const requirement of detector.requires) {
    const reason = missingRequirement(input, requirement)
    if (reason) return reason
  }
  return undefined
}

const startRank = ({ detector }: ConfiguredDetector) => (detector.awaits?.length === 0 ? 0 : 1)

const isShared = (input: DetectorInput): input is SharedDetectorInput => 'prepareAnalyses' in input

async function runDetector(
  { detector, params }: ConfiguredDetector,
  input: DetectorInput,
  context: RunContext & { now: () => number },
  executor: DetectorExecutor | undefined,
): Promise<DetectorOutcome> {
  const base = { detector, params }
  const reason = whySkipped(detector, input)
  if (reason) return { ...base, status: 'skipped', durationMs: 0, reason }
  const started = context.now()
  try {
    const elsewhere = executor?.accepts(detector) === true
    // A detector goes to another thread once what it awaits is ready, rather than holding a worker while it waits.
    if (elsewhere && detector.awaits?.length && isShared(input)) {
      await input.prepareAnalyses(detector.awaits)
      throwIfAborted(context.signal, 'the scan')
    }
    const result = await (elsewhere
      ? executor!.run(detector, input, params, context)
      : detector.run(input, params, context))
    return { ...base, status: 'ok', durationMs: context.now() - started, result }
  } catch (error) {
    // An abort is the caller's decision, not this detector's failure: it ends the whole run.
    if (isAbortError(error)) throw error
    const reason = error instanceof Error ? error.message : String(error)
    return { ...base, status: 'failed', durationMs: context.now() - started, reason, error }
  }
}

export interface RunDetectorsOptions {
  /** Seed handed to every detector; default 0. */
  seed?: number
  /** Clock in milliseconds behind the reported durations; default `performance.now`. */
  now?: () => number
  /** Called with a detector's id, the fraction of its work done and its position among `detectors`. */
  onProgress?: (detectorId: string, fractionDone: number, index: number) => void
  /** Checked before each detector and handed to it; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
  /**
   * Start every detector at once, in order, so one waiting for an analysis computed off this thread (the
   * cross-validation on worker threads) lets the others run meanwhile. Results are the same; each duration then
   * spans the detector's own start to its end, waits included, so they overlap. Default false.
   */
  concurrent?: boolean
  /** Runs the detectors it accepts off this thread, all started at once (as `concurrent`); same results. */
  detectorExecutor?: DetectorExecutor
  /**
   * Runs the folds the detectors on this thread train themselves (`RunContext.folds`); default one after another
   * on this thread. Same results.
   */
  executor?: FoldExecutor
}

/**
 * Runs detectors on one input, so they share its analyses, one after the other or (`concurrent`) interleaved, and
 * reports each, in the given order, as ok, skipped (a missing requirement) or failed (its error); a failure never
 * disappears and never stops the others.
 */
export async function runDetectors(
  input: DetectorInput,
  detectors: readonly ConfiguredDetector[],
  options: RunDetectorsOptions = {},
): Promise<DetectorOutcome[]> {
  const seed = options.seed ?? 0
  const now = options.now ?? (() => performance.now())
  const { signal } = options
  const { executor } = options
  // A detector's own folds are asked for while the other detectors keep this thread busy: this thread trains
  // those still queued whenever it is free, rather than idle while the workers train the last of them.
  const folds: FoldExecutor | undefined = executor && {
    fitFolds: (tasks, fitOptions) => executor.fitFolds(tasks, { ...fitOptions, callerHelps: true }),
  }
  const runOne = async (configured: ConfiguredDetector, index: number) => {
    throwIfAborted(signal, 'the scan')
    const onProgress = (fractionDone: number) =>
      options.onProgress?.(configured.detector.id, fractionDone, index)
    onProgress(0)
    const context = { seed, now, onProgress, signal, folds }
    const outcome = await runDetector(configured, input, context, options.detectorExecutor)
    onProgress(1)
    return outcome
  }
  if (options.concurrent || options.detectorExecutor) {
    if (isShared(input)) {
      // Everything the detectors that will run await starts now, the neighbour graph first.
      const awaited = detectors.flatMap(({ detector }) =>
        whySkipped(detector, input) === undefined ? (detector.awaits ?? []) : [],
      )
      void input.prepareAnalyses(awaited)
    }
    // Detectors that await no shared analysis run to their end at once: they go first, so they keep the workers
    // busy while those analyses are computed. Outcomes stay in the given order.
    const order = [...detectors.keys()].sort((a, b) => startRank(detectors[a]) - startRank(detectors[b]))
    const outcomes: DetectorOutcome[] = new Array(detectors.length)
    await Promise.all(
      order.map(async (index) => {
        outcomes[index] = await runOne(detectors[index], index)
      }),
    )
    return outcomes
  }
  const outcomes: DetectorOutcome[] = []
  for (const [index, configured] of detectors.entries()) outcomes.push(await runOne(configured, index))
  return outcomes
}

/** Fuses the detectors that ran into one suspicion, decision, severity and set of findings per record. */
export function fuseOutcomes(
  dataset: Dataset,
  outcomes: readonly DetectorOutcome[],
  operatingPoint: OperatingPoint & { fdr?: number },
): FusedScores {
  const runs = outcomes.flatMap((outcome) => (outcome.status === 'ok' ? [outcome] : []))
  const describeLabel = (code: number) => dataset.labels?.classes[code] ?? String(code)
  return fuseDetectorResults(dataset.rowCount, runs, describeLabel, operatingPoint)
}
