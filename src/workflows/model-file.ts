import { readFile } from 'node:fs/promises'
import type { Dataset } from '../data/dataset.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { statOrThrow } from '../io/files.js'
import type { Classifier } from '../models/classifier.js'
import { type ModelInput, modelInputMatrix } from '../models/model-input.js'
import { loadOnnxClassifier } from '../models/onnx-classifier.js'
import { inputFromCard, type ModelCardStatement, readModelCard } from '../provenance/model-card.js'

/** A model file opened for checking, with what its card says and the data it is about to see. */
export interface OpenedModel {
  readonly path: string
  readonly classifier: Classifier
  /** Class names from the model, else `0..C-1`. */
  readonly classNames: readonly string[]
  readonly input?: ModelInput
  readonly card?: ModelCardStatement
}

/** The model's input space for a dataset (its features, or the card's text featurizer). */
export function modelMatrix(model: Pick<OpenedModel, 'input'>, dataset: Dataset): FeatureMatrix {
  return modelInputMatrix(dataset, model.input)
}

/**
 * Opens an ONNX classifier for a dataset: reads the model and its card (when poisonguard trained it), and checks
 * the model takes the dataset's input width.
 */
export async function openModelFile(path: string, dataset: Dataset): Promise<OpenedModel> {
  await statOrThrow(path)
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
  return { path, classifier, classNames, input, card }
}

/** Each dataset label's index among the model's classes (-1 for unlabelled records and unknown labels). */
export function labelsAsModelClasses(dataset: Dataset, classNames: readonly string[]): Int32Array {
  const labels = dataset.labels
  if (!labels) return new Int32Array(dataset.rowCount).fill(-1)
  const codeMap = labels.classes.map((name) => classNames.indexOf(name))
  return Int32Array.from(labels.codes, (code) => (code >= 0 ? codeMap[code] : -1))
}
