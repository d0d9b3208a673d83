import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Dataset } from '../data/dataset.js'
import { selectRows } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { type LoadOptions, loadDataset } from '../io/index.js'
import { writeOutputsAtomically } from '../io/transaction.js'
import { predictedClasses } from '../models/classifier.js'
import { networkShape, predictNetwork } from '../models/dense-network.js'
import { fitModelInput } from '../models/model-input.js'
import { encodeNetworkModel } from '../models/onnx-export.js'
import {
  type BuiltinModelKind,
  fitBuiltinNetwork,
  type NetworkSettings,
  standardTraining,
  type TrainingProcedure,
} from '../models/train-network.js'
import { digestDataset } from '../provenance/dataset-digest.js'
import { keyIdOf, readPrivateKey } from '../provenance/keys.js'
import { defaultTime } from '../provenance/manifest.js'
import {
  cardInput,
  createModelCard,
  type ModelCardPredicate,
  modelCardPathFor,
} from '../provenance/model-card.js'
import { throwIfAborted } from '../util/abort.js'
import { version } from '../version.js'

export interface TrainModelOptions {
  /** The training data: a file or an image folder. */
  data: string
  load?: LoadOptions
  model: BuiltinModelKind
  /** Where the ONNX model goes; its signed card goes beside it (`<out>.card.json`). */
  out: string
  /** Seed of the initial weights and row order; default 1. */
  seed?: number
  /** Training settings (`hiddenUnits`, `epochs`, `batchSize`, `learningRate`, `l2`); absent ones take defaults. */
  parameters?: Partial<Omit<NetworkSettings, 'kind' | 'classCount' | 'seed'>>
  /** Ed25519 private key PEM; without it the card is written unsigned. */
  privateKeyPath?: string
  /** The training data's signed manifest, whose digest the card records. */
  manifest?: string
  /** How to train; default one standard fit. Robust procedures plug in here. */
  procedure?: TrainingProcedure
  /** When the card says it was made; default `SOURCE_DATE_EPOCH` when set, else now. */
  createdAt?: Date
  /** Checked after loading and before writing (not during the fit); an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
}

export interface TrainModelResult {
  modelPath: string
  cardPath: string
  card: ModelCardPredicate
  keyId?: string
}

function labelledRows(dataset: Dataset): Int32Array {
  const labels = dataset.labels
  if (!labels || labels.classes.length < 2) {
    throw PoisonguardError.at(
      'MISSING_INPUT',
      { file: dataset.origin.path },
      labels
        ? `a classifier needs at least two classes, found ${labels.classes.length}`
        : 'the dataset has no label column',
      'name the label column with --label',
    )
  }
  return Int32Array.from(labels.codes.keys()).filter((row) => labels.codes[row] >= 0)
}

async function describeTrainingData(options: TrainModelOptions, dataset: Dataset) {
  // Image folders have no record-level digest yet; their file hash still pins the data.
  const digest =
    dataset.origin.format === 'images'
      ? undefined
      : await digestDataset(options.data, {
          id: options.load?.id,
          label: options.load?.label === false ? null : options.load?.label,
          sourceColumn: options.load?.source,
        })
  const manifest = options.manifest
    ? {
        path: options.manifest,
        sha256: createHash('sha256')
          .update(await readFile(options.manifest))
          .digest('hex'),
      }
    : undefined
  return {
    path: options.data,
    format: dataset.origin.format,
    sha256: dataset.origin.sha256,
    recordCount: dataset.rowCount,
    merkleRoot: digest?.merkleRoot ?? '',
    ...(manifest ? { manifest } : {}),
  }
}

/**
 * Trains a built-in classifier on a dataset and writes it as ONNX with a signed model card: the training data's
 * file hash, record Merkle root and manifest digest, the settings, the seed and the training accuracy. The model
 * and the card are written together or not at all.
 */
export async function trainModel(options: TrainModelOptions): Promise<TrainModelResult> {
  const privateKey = options.privateKeyPath ? await readPrivateKey(options.privateKeyPath) : undefined
  const dataset = await loadDataset(options.data, options.load)
  throwIfAborted(options.signal, 'the training')
  const rows = labelledRows(dataset)
  const { input, x } = fitModelInput(dataset)
  const trainX = rows.length === dataset.rowCount ? x : selectRows(x, rows)
  const labels = Int32Array.from(rows, (row) => dataset.labels!.codes[row])
  const classes = [...dataset.labels!.classes]
  const seed = options.seed ?? 1
  const given = Object.entries(options.parameters ?? {}).filter(([, value]) => value !== undefined)
  const settings: NetworkSettings = {
    ...Object.fromEntries(given),
    kind: options.model,
    classCount: classes.length,
    seed,
    standardize: options.parameters?.standardize ?? (input.kind === 'features' && !dataset.imageShape),
  }
  const procedure = options.procedure ?? standardTraining
  const network = procedure.train(trainX, labels, settings, fitBuiltinNetwork)
  const predicted = predictedClasses(predictNetwork(network, trainX))
  const trainAccuracy = predicted.filter((label, index) => label === labels[index]).length / labels.length
  const bytes = encodeNetworkModel(network, classes)
  const { kind: _kind, classCount: _classCount, seed: _seed, ...parameters } = settings
  const card: ModelCardPredicate = {
    model: { kind: options.model, classes, inputWidth: networkShape(network).inputWidth, parameters },
    input: cardInput(input),
    training: { procedure: procedure.id, parameters: { ...procedure.parameters } },
    seed,
    trainingData: await describeTrainingData(options, dataset),
    metrics: { trainingRecords: labels.length, trainAccuracy },
    tool: { name: 'poisonguard', version },
    createdAt: (options.createdAt ?? defaultTime()).toISOString(),
  }
  throwIfAborted(options.signal, 'the training')
  const envelope = createModelCard(basename(options.out), bytes, card, privateKey)
  const cardPath = modelCardPathFor(options.out)
  await writeOutputsAtomically(
    [
      { path: options.out, contents: bytes },
      { path: cardPath, contents: `${JSON.stringify(envelope, null, 2)}\n` },
    ],
    { inputs: [options.data, options.privateKeyPath, options.manifest] },
  )
  return { modelPath: options.out, cardPath, card, keyId: privateKey ? keyIdOf(privateKey) : undefined }
}
