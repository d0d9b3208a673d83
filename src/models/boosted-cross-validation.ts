import type { FeatureMatrix } from '../data/matrix.js'
import { throwIfAborted } from '../util/abort.js'
import { createRng, type Rng } from '../util/rng.js'
import { type BoostingOptions, fitBoostedTrees, predictBinnedRows, treesPerRound } from './boosted-trees.js'
import { assembleFolds, rowsWhere, stratifiedFolds } from './cross-validation.js'
import { binMatrix } from './feature-bins.js'

export interface BoostedCrossValidationOptions {
  /** Number of folds; default 5 (lowered to the labelled row count for tiny inputs). */
  folds?: number
  /** Source of the fold assignment, the early-stopping split and each fold's row draws. */
  rng: Rng
  /** Options of every fold's trees; `classCount` is set by cross-validation. */
  boosting?: Omit<BoostingOptions, 'classCount' | 'validationRows' | 'rng'>
  /** Checked before each fold; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
}

/** Share of each fold's training rows held back to stop boosting: one in ten. */
const stoppingFolds = 10
/**
 * Most rounds of boosting, and the step each takes: with 10% of the labels flipped early stopping ended it after
 * 8–35 rounds on 8×8 digits and a table of mail statistics; on clean labels, where it runs on, the cap bounds
 * the cost.
 */
const defaultRounds = 50
const defaultLearningRate = 0.2
/**
 * Histogram bins over all columns and a round's trees at most (at least 16 a column): every split fills,
 * subtracts and scans all of a tree's bins, which cost more than the rows themselves on 64 continuous columns at
 * 255 bins each. Integer columns with few values keep a bin per value, and 8×8 digits and the tables measured
 * keep all theirs.
 */
const binBudget = 16_384
/**
 * Rows times trees a round grows at most: a tree's cost grows with its rows, and past a few thousand a random
 * share of them splits as well as all; the digits and tables measured stay whole. With the bins above, 10,000
 * records of 64 continuous columns and ten classes took 4.8 CPU seconds instead of 15.
 */
const rowTreeBudget = 20_000

/**
 * Out-of-fold class probabilities (rows × classCount) of gradient-boosted trees: each labelled row is predicted by
 * trees trained on the other folds, whose round count is chosen on a tenth of their own rows held back.
 * Unlabelled rows (negative codes) are neither trained on nor predicted, and keep probabilities of 0.
 */
export function crossValidatedBoostedProbabilities(
  x: FeatureMatrix,
  labels: Int32Array,
  classCount: number,
  options: BoostedCrossValidationOptions,
): FeatureMatrix {
  const labelled = Int32Array.from(labels.keys()).filter((row) => labels[row] >= 0)
  const labelledCodes = Int32Array.from(labelled, (row) => labels[row])
  const foldCount = Math.min(options.folds ?? 5, labelled.length)
  const folds = stratifiedFolds(labelledCodes, foldCount, options.rng)
  const tasks = Array.from({ length: foldCount }, (_, fold) => ({
    trainRows: rowsWhere(folds, fold, false).map((position) => labelled[position]),
    testRows: rowsWhere(folds, fold, true).map((position) => labelled[position]),
    seed: Math.floor(options.rng.next() * 2 ** 32),
  }))
  const held = tasks.map((task) => {
    throwIfAborted(options.signal, 'cross-validation')
    const rng = createRng(task.seed)
    const trainCodes = Int32Array.from(task.trainRows, (row) => labels[row])
    const stopping = stratifiedFolds(trainCodes, Math.min(stoppingFolds, task.trainRows.length), rng)
    const model = fitBoostedTrees(
      x,
      labels,
      task.trainRows.filter((_, at) => stopping[at] !== 0),
      {
        rounds: defaultRounds,
        learningRate: defaultLearningRate,
        rowShare: Math.min(1, rowTreeBudget / treesPerRound(classCount) / task.trainRows.length),
        maxBins: Math.min(255, Math.max(16, Math.floor(binBudget / treesPerRound(classCount) / x.cols))),
        ...options.boosting,
        classCount,
        validationRows: task.trainRows.filter((_, at) => stopping[at] === 0),
        rng,
      },
    )
    return predictBinnedRows(model, binMatrix(x, model.bins), task.testRows)
  })
  return assembleFolds(x.rows, classCount, tasks, held)
}
