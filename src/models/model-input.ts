import type { Dataset } from '../data/dataset.js'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { featurizeText, type TextFeatureOptions } from '../features/text.js'

/**
 * What a model takes as input, recorded in its model card so evaluation, scans and traces feed it the same way:
 * the dataset's numeric feature columns (or image pixels) in order, or hashed TF-IDF of its text with the
 * training corpus' IDF.
 */
export type ModelInput =
  | { readonly kind: 'features'; readonly columns: readonly string[] }
  | { readonly kind: 'text'; readonly hashBits: number; readonly idf: Float32Array }

// 2^11 word and word-pair buckets: small enough to feed a dense ONNX input, enough for mail classification.
const TEXT_HASH_BITS = 11
// Word n-grams only: a trigger token must map to a bucket of its own, not smear over character n-grams.
const textSettings = (hashBits: number): TextFeatureOptions => ({ hashBits, charNgramMax: 0 })

function densify(matrix: SparseMatrix): FeatureMatrix {
  const data = new Float32Array(matrix.rows * matrix.cols)
  for (let row = 0; row < matrix.rows; row++)
    for (let k = matrix.indptr[row]; k < matrix.indptr[row + 1]; k++)
      data[row * matrix.cols + matrix.indices[k]] = matrix.values[k]
  return { data, rows: matrix.rows, cols: matrix.cols }
}

/** Dense hashed TF-IDF of texts in a model's text input space. */
export function featurizeModelText(texts: readonly string[], input: Extract<ModelInput, { kind: 'text' }>) {
  return densify(featurizeText(texts, { ...textSettings(input.hashBits), idf: input.idf }).matrix)
}

/** Chooses the input of a model trained on `dataset` (text when it has no numeric features) and featurizes it. */
export function fitModelInput(dataset: Dataset): { input: ModelInput; x: FeatureMatrix } {
  if (dataset.features && dataset.features.cols > 0)
    return { input: { kind: 'features', columns: [...dataset.featureNames] }, x: dataset.features }
  if (dataset.texts) {
    const { matrix, idf } = featurizeText(dataset.texts, textSettings(TEXT_HASH_BITS))
    return { input: { kind: 'text', hashBits: TEXT_HASH_BITS, idf }, x: densify(matrix) }
  }
  throw PoisonguardError.at(
    'MISSING_INPUT',
    { file: dataset.origin.path },
    'the dataset has neither numeric feature columns nor a text column to train on',
    'name the feature columns with --features or the text column with --text',
  )
}

/** The matrix a model with this input takes for `dataset`; columns are matched by name when the model names them. */
export function modelInputMatrix(dataset: Dataset, input: ModelInput | undefined): FeatureMatrix {
  if (input?.kind === 'text') {
    if (!dataset.texts) {
      throw PoisonguardError.at(
        'MISSING_INPUT',
        { file: dataset.origin.path },
        'the model reads text, but the dataset has no text column',
        'name the text column with --text',
      )
    }
    return featurizeModelText(dataset.texts, input)
  }
  const features = dataset.features
  if (!features || features.cols === 0) {
    throw PoisonguardError.at(
      'MISSING_INPUT',
      { file: dataset.origin.path },
      'the model reads numeric features, but the dataset has none',
      'name the feature columns with --features',
    )
  }
  if (!input) return features
  const missing = input.columns.filter((column) => !dataset.featureNames.includes(column))
  // Pixel columns are named by whichever loader read the images; the same width means the same pixels.
  if (missing.length > 0 && input.columns.length === features.cols) return features
  if (missing.length > 0) {
    throw PoisonguardError.at(
      'MISSING_COLUMN',
      { file: dataset.origin.path },
      `the model was trained on columns the dataset lacks: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      'pass data with the columns the model was trained on',
    )
  }
  const order = input.columns.map((column) => dataset.featureNames.indexOf(column))
  if (order.every((col, index) => col === index) && order.length === features.cols) return features
  const data = new Float32Array(dataset.rowCount * order.length)
  for (let row = 0; row < dataset.rowCount; row++)
    for (let k = 0; k < order.length; k++)
      data[row * order.length + k] = features.data[row * features.cols + order[k]]
  return { data, rows: dataset.rowCount, cols: order.length }
}
