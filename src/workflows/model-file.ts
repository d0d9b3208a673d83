import { readFile } from 'node:fs/promises'
import type { Dataset } from '../data/dataset.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { statOrThrow } from '../io/files.js'
import { type Classifier, checkInputWidth } from '../models/classifier.js'
import { type ModelInput, modelInputMatrix } from '../models/model-input.js'
import { loadOnnxClassifier } from '../models/onnx-classifier.js'
import { createWorkerMemberExecutor } from '../parallel/member-executor.js'
import { inputFromCard, type ModelCardStatement, readModelCard } from '../provenance/model-card.js'
import type { AggregationScheme, PartitionEnsemble } from '../robust/ensemble.js'
import { classifierFromEnsemble } from '../robust/ensemble-classifier.js'
import type { LearnerId } from '../robust/learners.js'
import { ensembleGraphManifest } from '../robust/onnx-single-graph.js'
import { loadEnsembleFolder } from './ensemble-folder.js'

/** A model file opened for checking, with what its card says and the data it is about to see. */
export interface OpenedModel {
  readonly path: string
  readonly classifier: Classifier
  /** Class names from the model, else `0..C-1`. */
  readonly classNames: readonly string[]
  readonly input?: ModelInput
  readonly card?: ModelCardStatement
  /** Set when the model is a partition ensemble (a folder or one graph): how it predicts. */
  readonly ensemble?: EnsembleDescription
}

/** What the model checks report about an ensemble they ran. */
export interface EnsembleDescription {
  /** 'folder': members read and run by poisonguard; 'graph': one ONNX graph run by ONNX Runtime. */
  readonly format: 'folder' | 'graph'
  readonly scheme: AggregationScheme
  readonly members: number
  readonly learner: LearnerId
  /** How its prediction is formed. */
  readonly prediction: string
}

function describeEnsemble(
  format: EnsembleDescription['format'],
  shape: Pick<PartitionEnsemble, 'scheme' | 'learner'>,
  members: number,
): EnsembleDescription {
  return {
    format,
    scheme: shape.scheme,
    members,
    learner: shape.learner,
    prediction: `plurality vote of ${members} ${shape.learner} members, ties to the first class; probabilities are vote shares`,
  }
}

/** An ensemble folder opened as one classifier, its members run on worker threads. */
async function openEnsembleFolder(path: string, dataset: Dataset): Promise<OpenedModel> {
  const { ensemble, classNames } = await loadEnsembleFolder(path)
  const x = modelInputMatrix(dataset, undefined)
  checkInputWidth({ inputWidth: ensemble.cols }, x.cols, path)
  const classifier = classifierFromEnsemble(ensemble, classNames, { parallel: createWorkerMemberExecutor })
  const ensembleInfo = describeEnsemble('folder', ensemble, ensemble.members.length)
  return { path, classifier, classNames, ensemble: ensembleInfo }
}

/** The model's input space for a dataset (its features, or the card's text featurizer). */
export function modelMatrix(model: Pick<OpenedModel, 'input'>, dataset: Dataset): FeatureMatrix {
  return modelInputMatrix(dataset, model.input)
}

/**
 * Opens an ONNX classifier for a dataset: reads the model and its card (when poisonguard trained it), and checks
 * the model takes the dataset's input width. An ensemble folder or single-graph ensemble opens as one classifier
 * predicting the members' plurality vote.
 */
export async function openModelFile(path: string, dataset: Dataset): Promise<OpenedModel> {
  if ((await statOrThrow(path)).isDirectory()) return openEnsembleFolder(path, dataset)
  const bytes = new Uint8Array(await readFile(path))
  if (bytes.length === 0) {
    throw PoisonguardError.at(
      'EMPTY_FILE',
      { file: path },
      'the model file is empty',
      'pass an ONNX model file',
    )
  }
  const card = await readModelCard(path, bytes)
  const input = card ? inputFromCard(card.predicate.input) : undefined
  const x = modelInputMatrix(dataset, input)
  const classifier = await loadOnnxClassifier(bytes, { source: path, inputWidth: x.cols })
  const classNames =
    classifier.classNames ?? Array.from({ length: classifier.classCount }, (_, code) => String(code))
  const manifest = ensembleGraphManifest(bytes, path)
  const ensemble = manifest && describeEnsemble('graph', manifest, manifest.members.length)
  return { path, classifier, classNames, input, card, ensemble }
}

/** Each dataset label's index among the model's classes (-1 for unlabelled records and unknown labels). */
export function labelsAsModelClasses(dataset: Dataset, classNames: readonly string[]): Int32Array {
  const labels = dataset.labels
  if (!labels) return new Int32Array(dataset.rowCount).fill(-1)
  const codeMap = labels.classes.map((name) => classNames.indexOf(name))
  return Int32Array.from(labels.codes, (code) => (code >= 0 ? codeMap[code] : -1))
}
