import type { Dataset } from '../data/dataset.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { type LoadOptions, loadDataset } from '../io/index.js'
import type { OutputFile } from '../io/transaction.js'
import { predictedClasses } from '../models/classifier.js'
import { type DenseNetwork, networkFromLogistic, predictNetwork } from '../models/dense-network.js'
import { type MlpOptions, trainMlp } from '../models/mlp.js'
import { encodeNetworkModel } from '../models/onnx-export.js'
import type { BuiltinModelKind, TrainingProcedure } from '../models/train-network.js'
import { createWorkerMemberExecutor } from '../parallel/member-executor.js'
import { type MemberExecutor, type PartitionEnsemble, trainPartitionEnsemble } from '../robust/ensemble.js'
import type { LearnerId, LearnerOptions } from '../robust/learners.js'
import { compareSourceModels, type PerSourceReport } from '../robust/per-source.js'
import { pgdAttack } from '../robust/pgd.js'
import { trainRobustLogistic } from '../robust/robust-logistic.js'
import { trainAdversarialMlp } from '../robust/robust-mlp.js'
import { fractionDetail, type ProgressOptions, progressReporter } from '../util/progress.js'
import { createRng } from '../util/rng.js'
import { ensembleFolderOutput } from './ensemble-folder.js'

/** The robust training modes: certified ensembles, per-source models, adversarial training, a noise-robust loss. */
export const robustModes = ['dpa', 'finite', 'per-source', 'adversarial', 'gce'] as const
export type RobustMode = (typeof robustModes)[number]

export interface RobustTrainOptions extends ProgressOptions {
  readonly data: string
  readonly load?: LoadOptions
  readonly robust: RobustMode
  /** dpa, finite: partitions; default 100. */
  readonly partitions?: number
  /** finite: buckets per member; default 4. */
  readonly spread?: number
  /** dpa, finite, per-source: base learner. */
  readonly learner?: LearnerId
  readonly learnerOptions?: LearnerOptions
  /** adversarial: L∞ radius of PGD during training, in feature units; default 0.1. */
  readonly epsilon?: number
  /** adversarial: PGD steps per update; default 3. */
  readonly pgdSteps?: number
  /** adversarial, gce: passes over the data; default 5. */
  readonly epochs?: number
  /** adversarial: the model trained, 'logreg' (default) or 'mlp'; gce trains logreg. */
  readonly model?: BuiltinModelKind
  /** adversarial with the MLP: hidden units; default 64. */
  readonly hiddenUnits?: number
  /** adversarial: labelled records to report clean and PGD accuracy on, next to standard training. */
  readonly evaluate?: string
  readonly seed?: number
  readonly executor?: MemberExecutor
  readonly signal?: AbortSignal
  readonly onProgress?: (fractionDone: number) => void
}

/** Accuracy of the robust and the standard model on the evaluation records, clean and under PGD. */
export interface RobustEvaluation {
  readonly path: string
  readonly epsilon: number
  readonly clean: number
  readonly robust: number
  readonly standardClean: number
  readonly standardRobust: number
}

export type RobustTrainResult =
  | {
      readonly mode: 'dpa' | 'finite'
      readonly ensemble: PartitionEnsemble
      readonly classNames: readonly string[]
    }
  | { readonly mode: 'per-source'; readonly report: PerSourceReport; readonly ids: readonly string[] }
  | {
      readonly mode: 'adversarial' | 'gce'
      readonly network: DenseNetwork
      readonly classNames: readonly string[]
      readonly evaluation?: RobustEvaluation
    }

function labelledFeatures(dataset: Dataset): { x: FeatureMatrix; labels: Int32Array } {
  const issues: string[] = []
  if (!dataset.features || dataset.features.cols === 0) issues.push('no numeric feature columns or pixels')
  if (!dataset.labels || dataset.labels.codes.some((code) => code < 0)) issues.push('records without a label')
  if (issues.length > 0) {
    throw PoisonguardError.at(
      'MISSING_INPUT',
      { file: dataset.origin.path },
      `robust training needs labelled numeric data: ${issues.join('; ')}`,
      'pass the label column with --label and numeric feature columns or an image folder',
    )
  }
  return { x: dataset.features!, labels: dataset.labels!.codes }
}

/** The range of the features, which PGD keeps its inputs in (e.g. [0, 1] for pixels). */
function featureRange(x: FeatureMatrix): readonly [number, number] {
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  for (const value of x.data) {
    if (value < low) low = value
    if (value > high) high = value
  }
  return [low, high]
}

async function evaluateAgainstStandard(
  options: RobustTrainOptions,
  classNames: readonly string[],
  robust: DenseNetwork,
  standard: DenseNetwork,
  bounds: readonly [number, number],
): Promise<RobustEvaluation> {
  const dataset = await loadDataset(options.evaluate!, options.load)
  const { x } = labelledFeatures(dataset)
  const index = new Map(classNames.map((name, code) => [name, code]))
  const labels = Int32Array.from(
    dataset.labels!.codes,
    (code) => index.get(dataset.labels!.classes[code]) ?? -1,
  )
  const epsilon = options.epsilon ?? 0.1
  const accuracy = (network: DenseNetwork, inputs: FeatureMatrix) => {
    const predicted = predictedClasses(predictNetwork(network, inputs))
    return predicted.filter((code, row) => code === labels[row]).length / Math.max(labels.length, 1)
  }
  const attacked = (network: DenseNetwork) =>
    pgdAttack(
      network,
      x,
      labels.map((label) => Math.max(label, 0)),
      { epsilon, bounds },
    )
  return {
    path: options.evaluate!,
    epsilon,
    clean: accuracy(robust, x),
    robust: accuracy(robust, attacked(robust)),
    standardClean: accuracy(standard, x),
    standardRobust: accuracy(standard, attacked(standard)),
  }
}

interface RobustSettings extends Omit<MlpOptions, 'perturbBatch'> {
  readonly kind: BuiltinModelKind
  readonly classCount: number
  readonly seed: number
  readonly epsilon?: number
  readonly pgdSteps?: number
}

/**
 * Logistic regression or the MLP trained against PGD inside the features' own range, or logistic regression with
 * the generalised cross-entropy.
 */
function fitRobustNetwork(
  x: FeatureMatrix,
  labels: Int32Array,
  mode: 'adversarial' | 'gce',
  settings: RobustSettings,
): DenseNetwork {
  const { kind, epsilon, pgdSteps, ...network } = settings
  const adversarial =
    mode === 'adversarial'
      ? { epsilon: epsilon ?? 0.1, steps: pgdSteps ?? 3, bounds: featureRange(x) }
      : undefined
  if (kind === 'mlp') {
    if (!adversarial) {
      throw new PoisonguardError(
        'INVALID_ARGUMENT',
        `${mode} training exists for the logistic regression only`,
        {
          hint: 'use --model logreg, or --robust adversarial for the MLP',
        },
      )
    }
    return trainAdversarialMlp(x, labels, { ...network, adversarial })
  }
  const model = trainRobustLogistic(x, labels, {
    classCount: settings.classCount,
    epochs: settings.epochs,
    adversarial,
    loss: mode === 'gce' ? 'gce' : 'cross-entropy',
    rng: createRng(settings.seed),
  })
  return networkFromLogistic(model)
}

/** The same model family trained the standard way on the raw features, for comparison. */
function fitStandardNetwork(x: FeatureMatrix, labels: Int32Array, settings: RobustSettings): DenseNetwork {
  const { kind, epsilon, pgdSteps, ...network } = settings
  if (kind === 'mlp') return trainMlp(x, labels, network)
  const model = trainRobustLogistic(x, labels, {
    classCount: settings.classCount,
    epochs: settings.epochs,
    rng: createRng(settings.seed),
  })
  return networkFromLogistic(model)
}

/**
 * Adversarial or generalised cross-entropy training as a procedure of `trainModel`, so the robust model is written
 * as ONNX with its signed model card like any built-in model. It fits the raw features: PGD's radius is in their
 * units (pixels in [0, 1]). Adversarial training takes the logistic regression or the MLP, the generalised
 * cross-entropy the logistic regression.
 */
export function robustTrainingProcedure(
  mode: 'adversarial' | 'gce',
  options: { epsilon?: number; pgdSteps?: number } = {},
): TrainingProcedure {
  const parameters =
    mode === 'adversarial' ? { epsilon: options.epsilon ?? 0.1, pgdSteps: options.pgdSteps ?? 3 } : {}
  return {
    id: mode,
    parameters,
    train: (x, labels, settings) => {
      const { standardize, ...rest } = settings
      return fitRobustNetwork(x, labels, mode, { ...rest, ...parameters })
    },
  }
}

/**
 * Trains with one of the robust defences: a certified partition ensemble (dpa, finite), per-source models and their
 * disagreement test (per-source), adversarial training with PGD (adversarial, reported next to standard training
 * when `evaluate` is given) or logistic regression with the generalised cross-entropy for noisy labels (gce).
 */
export async function robustTrainFile(options: RobustTrainOptions): Promise<RobustTrainResult> {
  const dataset = await loadDataset(options.data, options.load)
  const { x, labels } = labelledFeatures(dataset)
  const classNames = dataset.labels!.classes
  const seed = options.seed ?? 1
  if (options.robust === 'adversarial' || options.robust === 'gce') {
    const fit: RobustSettings = {
      kind: options.model ?? 'logreg',
      classCount: classNames.length,
      epochs: options.epochs,
      hiddenUnits: options.hiddenUnits,
      seed,
    }
    const network = fitRobustNetwork(x, labels, options.robust, {
      ...fit,
      epsilon: options.epsilon,
      pgdSteps: options.pgdSteps,
    })
    const evaluation =
      options.evaluate && options.robust === 'adversarial'
        ? await evaluateAgainstStandard(
            options,
            classNames,
            network,
            fitStandardNetwork(x, labels, fit),
            featureRange(x),
          )
        : undefined
    return { mode: options.robust, network, classNames, evaluation }
  }
  const ownExecutor = options.executor ? undefined : createWorkerMemberExecutor()
  const executor = options.executor ?? ownExecutor!
  try {
    if (options.robust === 'per-source') {
      const report = await compareSourceModels(
        x,
        labels,
        {
          sources: dataset.sources,
          learner: options.learner,
          learnerOptions: options.learnerOptions,
          seed,
          signal: options.signal,
        },
        executor,
      )
      return { mode: 'per-source', report, ids: dataset.ids }
    }
    const ensemble = await trainPartitionEnsemble(
      x,
      labels,
      {
        partitions: options.partitions ?? 100,
        scheme: options.robust,
        spread: options.spread,
        learner: options.learner,
        learnerOptions: options.learnerOptions,
        classCount: classNames.length,
        texts: dataset.texts,
        seed,
        signal: options.signal,
        onProgress: progressReporter(options, fractionDetail),
      },
      executor,
    )
    return { mode: options.robust, ensemble, classNames }
  } finally {
    await ownExecutor?.close()
  }
}

/**
 * What a robust training writes at `path`: an ensemble folder, one ONNX model, or the per-source report as JSON
 * (each source with the ids of the records behind it).
 */
export function robustTrainOutput(result: RobustTrainResult, path: string, flag = '--out'): OutputFile {
  if ('ensemble' in result) return ensembleFolderOutput(result.ensemble, result.classNames, path, flag)
  if ('report' in result) {
    const sources = result.report.sources.map(({ records, ...source }) => ({
      ...source,
      records: Array.from(records, (row) => result.ids[row]),
    }))
    return {
      path,
      flag,
      contents: `${JSON.stringify({ grouping: result.report.grouping, sources }, null, 2)}\n`,
    }
  }
  return { path, flag, contents: encodeNetworkModel(result.network, result.classNames) }
}
