import { type Dataset, encodeLabels, labelledTexts, subsetDataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { loadMnistArrays } from '../io/builtin/mnist.js'
import { loadSpamRecords } from '../io/builtin/spam.js'
import { createRng, shuffledIndices } from '../util/rng.js'

/** A dataset split once into the training set that gets poisoned and scanned and a held-out test set. */
export interface BenchSplit {
  readonly name: string
  readonly train: Dataset
  readonly test: Dataset
}

/** Names of the built-in datasets the benchmark knows how to split. */
export const benchBuiltinNames = ['mnist', 'spam'] as const

export type BenchBuiltinName = (typeof benchBuiltinNames)[number]

/** Share of a dataset that trains; the rest measures clean accuracy and attack success. */
export const trainShare = 0.8

/** Rows of the `--quick` subset: enough for stable numbers, small enough for CI. */
export const quickTrainRows = 2000
export const quickTestRows = 1000

function rowRange(first: number, end: number): Int32Array {
  return Int32Array.from({ length: Math.max(0, end - first) }, (_, index) => first + index)
}

function builtinOrigin(name: string, format: 'csv' | 'jsonl') {
  return { path: `builtin:${name}`, format, sha256: '', byteCount: 0 }
}

/** All MNIST digits of the `mnist` package, ids as in `poisonguard datasets export mnist` (row numbers from 1). */
export function mnistBenchDataset(): Dataset {
  const { pixels, labels, rowCount, width, height } = loadMnistArrays()
  const pixelCount = width * height
  return {
    origin: builtinOrigin('mnist', 'csv'),
    rowCount,
    ids: Array.from({ length: rowCount }, (_, row) => String(row + 1)),
    labels: encodeLabels('label', Array.from(labels, String)),
    features: { data: pixels, rows: rowCount, cols: pixelCount },
    featureNames: Array.from({ length: pixelCount }, (_, pixel) => `p${pixel}`),
    imageShape: { width, height },
    warnings: [],
  }
}

/** All SpamAssassin mails, labelled ham/spam, ids as in `poisonguard datasets export spam`. */
export function spamBenchDataset(): Dataset {
  const records = loadSpamRecords()
  return labelledTexts(
    builtinOrigin('spam', 'jsonl'),
    records.map((record) => record.id),
    { name: 'label', values: records.map((record) => record.label) },
    records.map((record) => record.text),
  )
}

/**
 * A fixed split of a built-in dataset: its rows are already shuffled with a fixed seed, so the first 80% train
 * (mnist 8,000 / 2,000) and the rest test. `quick` keeps the first 2,000 training and 1,000 test rows.
 */
export function splitBuiltin(name: BenchBuiltinName, quick = false): BenchSplit {
  const dataset = name === 'mnist' ? mnistBenchDataset() : spamBenchDataset()
  const trainCount = Math.round(dataset.rowCount * trainShare)
  const trainEnd = quick ? Math.min(trainCount, quickTrainRows) : trainCount
  const testEnd = quick ? Math.min(dataset.rowCount, trainCount + quickTestRows) : dataset.rowCount
  return {
    name: quick ? `${name}-${trainEnd}` : name,
    train: subsetDataset(dataset, rowRange(0, trainEnd)),
    test: subsetDataset(dataset, rowRange(trainCount, testEnd)),
  }
}

/** Fails unless a dataset has what every benchmark needs: records to split, labels, and inputs for the model. */
function checkBenchable(dataset: Dataset, trainCount: number): void {
  const file = { file: dataset.origin.path }
  if (trainCount < 10 || dataset.rowCount - trainCount < 2) {
    const message = `a benchmark needs at least 12 records to split 80/20 into training and test sets, received ${dataset.rowCount}`
    throw PoisonguardError.at('NOT_ENOUGH_DATA', file, message, 'bench a larger dataset')
  }
  if (!dataset.labels || dataset.labels.classes.length < 2) {
    const message = 'a benchmark needs a label column with at least 2 classes'
    throw PoisonguardError.at('MISSING_INPUT', file, message, 'name the label column with --label')
  }
  if (!dataset.texts && !(dataset.features && dataset.features.cols > 0)) {
    const message = 'a benchmark needs a text column or numeric features for its model'
    throw PoisonguardError.at('MISSING_INPUT', file, message, 'name them with --text or --features')
  }
}

/** A seeded 80/20 split of a user's dataset (`quick` caps it at 2,000 training and 1,000 test rows). */
export function splitUserDataset(name: string, dataset: Dataset, seed: number, quick = false): BenchSplit {
  const trainCount = Math.round(dataset.rowCount * trainShare)
  checkBenchable(dataset, trainCount)
  const order = shuffledIndices(dataset.rowCount, createRng(seed))
  const trainRows = order.subarray(0, quick ? Math.min(trainCount, quickTrainRows) : trainCount)
  const testEnd = quick ? Math.min(dataset.rowCount, trainCount + quickTestRows) : dataset.rowCount
  const byPosition = (rows: Int32Array) => Int32Array.from(rows).sort()
  return {
    name,
    train: subsetDataset(dataset, byPosition(trainRows)),
    test: subsetDataset(dataset, byPosition(order.subarray(trainCount, testEnd))),
  }
}

/** Resolves built-in dataset names; an unknown name fails with the list of valid ones. */
export function parseBuiltinNames(names: readonly string[]): BenchBuiltinName[] {
  const unknown = names.filter((name) => !(benchBuiltinNames as readonly string[]).includes(name))
  if (unknown.length > 0) {
    throw new PoisonguardError(
      'UNKNOWN_NAME',
      `unknown built-in dataset ${unknown.map((name) => `"${name}"`).join(', ')}; valid: ${benchBuiltinNames.join(', ')}`,
    )
  }
  return [...new Set(names)] as BenchBuiltinName[]
}
