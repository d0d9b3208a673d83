import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { throwIfAborted } from '../util/abort.js'
import type { Rng } from '../util/rng.js'
import { shuffledIndices } from '../util/rng.js'
import { createDesign } from './design.js'
import {
  fitLogisticRegression,
  type LogisticRegressionOptions,
  predictRowsInto,
  validateTrainingInputs,
} from './logistic-regression.js'

/**
 * Assigns every row a fold in `0..foldCount-1` so each class is spread evenly over the folds and fold sizes differ
 * by at most one; a class with fewer rows than folds lands in as many different folds as it has rows.
 */
export function stratifiedFolds(labels: Int32Array, foldCount: number, rng: Rng): Int32Array {
  if (!Number.isInteger(foldCount) || foldCount < 2) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `foldCount must be a whole number ≥ 2, received ${foldCount}`,
    )
  }
  const order = shuffledIndices(labels.length, rng)
  // Stable counting sort by label keeps the random order inside each class; negative labels form one more group.
  let maxLabel = -1
  for (let row = 0; row < labels.length; row++) if (labels[row] > maxLabel) maxLabel = labels[row]
  const groupStart = new Int32Array(maxLabel + 3)
  for (let row = 0; row < labels.length; row++) groupStart[Math.max(labels[row], -1) + 2]++
  for (let group = 1; group < groupStart.length; group++) groupStart[group] += groupStart[group - 1]
  const grouped = new Int32Array(labels.length)
  for (let position = 0; position < order.length; position++) {
    const row = order[position]
    grouped[groupStart[Math.max(labels[row], -1) + 1]++] = row
  }
  // Dealing the class-grouped rows round-robin keeps going across class boundaries, which balances fold sizes.
  const folds = new Int32Array(labels.length)
  for (let position = 0; position < grouped.length; position++)
    folds[grouped[position]] = position % foldCount
  return folds
}

export interface CrossValidationOptions {
  /** Number of folds; default 5 (lowered to the row count for tiny inputs). */
  folds?: number
  /** Source of the fold assignment and of the solver's randomness. */
  rng: Rng
  /** Options of every fold's model; `classCount` and `rng` are set by cross-validation. */
  train?: Omit<LogisticRegressionOptions, 'classCount' | 'rng'>
  /** Called with the fraction of folds done, in [0,1]. */
  onProgress?: (fractionDone: number) => void
  /** Checked before each fold; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
}

function rowsWhere(folds: Int32Array, fold: number, inFold: boolean): Int32Array {
  let count = 0
  for (let row = 0; row < folds.length; row++) if ((folds[row] === fold) === inFold) count++
  const rows = new Int32Array(count)
  let next = 0
  for (let row = 0; row < folds.length; row++) if ((folds[row] === fold) === inFold) rows[next++] = row
  return rows
}

/**
 * Out-of-fold class probabilities (rows × classCount): each row is predicted by the logistic regression trained on
 * the other folds, so no row's prediction comes from a model that saw it.
 */
export function crossValidatedProbabilities(
  x: FeatureMatrix | SparseMatrix,
  labels: Int32Array,
  classCount: number,
  options: CrossValidationOptions,
): FeatureMatrix {
  if (labels.length !== x.rows) {
    throw new PoisonguardError('SHAPE_MISMATCH', `${labels.length} labels for ${x.rows} rows`)
  }
  if (x.rows < 2) {
    throw new PoisonguardError(
      'NOT_ENOUGH_DATA',
      `cross-validation needs at least 2 rows, received ${x.rows}`,
    )
  }
  const foldCount = Math.min(options.folds ?? 5, x.rows)
  validateTrainingInputs(x, labels, { ...options.train, classCount })
  const folds = stratifiedFolds(labels, foldCount, options.rng)
  const design = createDesign(x)
  const out = new Float32Array(x.rows * classCount)
  for (let fold = 0; fold < foldCount; fold++) {
    throwIfAborted(options.signal, 'cross-validation')
    const trainRows = rowsWhere(folds, fold, false)
    const model = fitLogisticRegression(design, labels, trainRows, classCount, {
      ...options.train,
      rng: options.rng,
    })
    predictRowsInto(model, design, rowsWhere(folds, fold, true), out)
    options.onProgress?.((fold + 1) / foldCount)
  }
  return { data: out, rows: x.rows, cols: classCount }
}
