import type { Dataset } from '../data/dataset.js'
import { subsetDataset } from '../data/dataset.js'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { applyStandardization, standardize } from '../features/standardize.js'
import { featurizeText, type TextFeatureOptions, textCharLimit } from '../features/text.js'
import { predictProbabilities, trainLogisticRegression } from '../models/logistic-regression.js'
import { createRng } from '../util/rng.js'

/** A trained built-in model that predicts class names for the records of another dataset. */
export interface TrainedModel {
  /** Predicted class name of each record of `dataset`, in order. */
  predict(dataset: Dataset): string[]
}

/** Passes of the SGD solver; ten reach a stable accuracy on MNIST where the default three still move. */
const trainingEpochs = 10

type Featurizer = (dataset: Dataset) => FeatureMatrix | SparseMatrix

/**
 * Fits the representation on the training records and returns how to apply it to any dataset of the same shape:
 * TF-IDF for text (as the scan's model), raw pixels for images, standardised columns otherwise.
 */
function fitFeaturizer(train: Dataset): Featurizer {
  if (train.texts) {
    // The scan's model input for long texts: word uni- and bigram TF-IDF, each text read as far as the scan reads it.
    const textOptions: TextFeatureOptions = { charNgramMax: 0, maxChars: textCharLimit(train.texts.length) }
    const { idf } = featurizeText(train.texts, textOptions)
    return (dataset) => featurizeText(dataset.texts!, { ...textOptions, idf }).matrix
  }
  if (train.imageShape) return (dataset) => dataset.features!
  const { mean, scale } = standardize(train.features!)
  return (dataset) => applyStandardization(dataset.features!, mean, scale)
}

function argmaxRows(probabilities: FeatureMatrix): Int32Array {
  const { data, rows, cols } = probabilities
  const best = new Int32Array(rows)
  for (let row = 0; row < rows; row++) {
    for (let col = 1; col < cols; col++)
      if (data[row * cols + col] > data[row * cols + best[row]]) best[row] = col
  }
  return best
}

/**
 * Trains the built-in softmax logistic regression on the labelled records of `train` that `keep` marks (all when
 * omitted); deterministic for a seed.
 */
export function trainBuiltinModel(train: Dataset, seed: number, keep?: Uint8Array): TrainedModel {
  const codes = train.labels!.codes
  const rows = Int32Array.from(codes.keys()).filter((row) => codes[row] >= 0 && (!keep || keep[row] === 1))
  const kept = subsetDataset(train, rows)
  const featurize = fitFeaturizer(kept)
  const classes = train.labels!.classes
  const model = trainLogisticRegression(featurize(kept), kept.labels!.codes, {
    classCount: classes.length,
    epochs: trainingEpochs,
    rng: createRng(seed),
  })
  return {
    predict: (dataset) =>
      Array.from(argmaxRows(predictProbabilities(model, featurize(dataset))), (code) => classes[code]),
  }
}

/** Share of the labelled records of `test` whose predicted class is their label (0 when none is labelled). */
export function accuracyOn(test: Dataset, predicted: readonly string[]): number {
  const labels = test.labels!
  let labelled = 0
  let correct = 0
  for (let row = 0; row < test.rowCount; row++) {
    const code = labels.codes[row]
    if (code < 0) continue
    labelled++
    if (labels.classes[code] === predicted[row]) correct++
  }
  return labelled === 0 ? 0 : correct / labelled
}
