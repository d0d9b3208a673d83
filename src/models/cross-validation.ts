import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { throwIfAborted } from '../util/abort.js'
import { createRng, type Rng, shuffledIndices } from '../util/rng.js'
import { compactTrainingInput, designOfCompacted } from './design.js'
import {
  fitLogisticRegression,
  type LogisticRegressionOptions,
  predictRows,
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
  /** Source of the fold assignment and of each fold's solver seed. */
  rng: Rng
  /** Options of every fold's model; `classCount` and `rng` are set by cross-validation. */
  train?: FoldTrainingOptions
  /** Called with the fraction of folds done, in [0,1]. */
  onProgress?: (fractionDone: number) => void
  /** Checked before each fold; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
}

/** What every fold's model is trained with; cross-validation sets the class count and the random source. */
export type FoldTrainingOptions = Omit<LogisticRegressionOptions, 'classCount' | 'rng'>

/**
 * One fold of a cross-validation: train on `trainRows`, predict `testRows`. Plain data (typed arrays and numbers),
 * so another thread can run it and return the same numbers this one would.
 */
export interface FoldTask {
  /** The training input as `compactTrainingInput` returns it. */
  readonly x: FeatureMatrix | SparseMatrix
  readonly labels: Int32Array
  readonly classCount: number
  readonly trainRows: Int32Array
  readonly testRows: Int32Array
  /** Seed of this fold's solver, drawn from the cross-validation's random source. */
  readonly seed: number
  readonly train?: FoldTrainingOptions
}

/** Trains one fold's model and returns the class probabilities of its held-out rows (testRows × classCount). */
export function fitFold(task: FoldTask): Float32Array {
  const design = designOfCompacted(task.x)
  const model = fitLogisticRegression(design, task.labels, task.trainRows, task.classCount, {
    ...task.train,
    rng: createRng(task.seed),
  })
  return predictRows(model, design, task.testRows)
}

/**
 * Runs the folds of a cross-validation, which are independent of each other. The portable core runs them one
 * after another (`sequentialFoldExecutor`); a Node caller may inject one that spreads them over worker threads.
 */
export interface FoldExecutor {
  /**
   * Each task's held-out probabilities, in task order and equal to `fitFold(task)`; `onFoldDone` is called as
   * each task finishes, and an aborted `signal` rejects with the typed `ABORTED` error.
   */
  fitFolds(
    tasks: readonly FoldTask[],
    options?: {
      onFoldDone?: () => void
      signal?: AbortSignal
      /**
       * The calling thread may train the folds still waiting for a worker whenever it is free: for folds asked
       * for while the caller has other work queued, which would otherwise leave it waiting for the last of them.
       */
      callerHelps?: boolean
    },
  ): Promise<Float32Array[]>
}

/** Runs the folds one after another on the calling thread. */
export const sequentialFoldExecutor: FoldExecutor = {
  async fitFolds(tasks, options = {}) {
    return tasks.map((task) => {
      throwIfAborted(options.signal, 'cross-validation')
      const probabilities = fitFold(task)
      options.onFoldDone?.()
      return probabilities
    })
  },
}

/** The rows of `folds` in `fold` (or, with `inFold` false, in every other fold), in row order. */
export function rowsWhere(folds: Int32Array, fold: number, inFold: boolean): Int32Array {
  let count = 0
  for (let row = 0; row < folds.length; row++) if ((folds[row] === fold) === inFold) count++
  const rows = new Int32Array(count)
  let next = 0
  for (let row = 0; row < folds.length; row++) if ((folds[row] === fold) === inFold) rows[next++] = row
  return rows
}

function planFolds(
  x: FeatureMatrix | SparseMatrix,
  labels: Int32Array,
  classCount: number,
  options: CrossValidationOptions,
): FoldTask[] {
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
  const trained = compactTrainingInput(x)
  // Each fold gets its own seed, so the folds do not depend on each other's random draws and may run anywhere.
  return Array.from({ length: foldCount }, (_, fold) => ({
    x: trained,
    labels,
    classCount,
    trainRows: rowsWhere(folds, fold, false),
    testRows: rowsWhere(folds, fold, true),
    seed: Math.floor(options.rng.next() * 2 ** 32),
    train: options.train,
  }))
}

/** Places each fold's held-out probabilities at their rows: a rows × classCount matrix. */
export function assembleFolds(
  rowCount: number,
  classCount: number,
  tasks: readonly Pick<FoldTask, 'testRows'>[],
  held: readonly Float32Array[],
): FeatureMatrix {
  const out = new Float32Array(rowCount * classCount)
  tasks.forEach((task, fold) => {
    const probabilities = held[fold]
    for (let position = 0; position < task.testRows.length; position++) {
      out.set(
        probabilities.subarray(position * classCount, (position + 1) * classCount),
        task.testRows[position] * classCount,
      )
    }
  })
  return { data: out, rows: rowCount, cols: classCount }
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
  const tasks = planFolds(x, labels, classCount, options)
  const held = tasks.map((task, fold) => {
    throwIfAborted(options.signal, 'cross-validation')
    const probabilities = fitFold(task)
    options.onProgress?.((fold + 1) / tasks.length)
    return probabilities
  })
  return assembleFolds(x.rows, classCount, tasks, held)
}

/** `crossValidatedProbabilities` with its folds run by `executor`: the same numbers, possibly on other threads. */
export async function crossValidatedProbabilitiesWith(
  executor: FoldExecutor,
  x: FeatureMatrix | SparseMatrix,
  labels: Int32Array,
  classCount: number,
  options: CrossValidationOptions,
): Promise<FeatureMatrix> {
  const tasks = planFolds(x, labels, classCount, options)
  let done = 0
  const held = await executor.fitFolds(tasks, {
    signal: options.signal,
    onFoldDone: () => options.onProgress?.(++done / tasks.length),
  })
  return assembleFolds(x.rows, classCount, tasks, held)
}
