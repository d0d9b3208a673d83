import type { Dataset } from '../data/dataset.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'

/** How far a labelled row's probabilities may sum from 1: float32 rounding, and models that renormalise loosely. */
const sumTolerance = 0.01

const hint =
  'give out-of-fold probabilities as cleanlab takes them: rows × classes float32, rows in dataset order, ' +
  'columns in sorted class order, each labelled row summing to 1'

/**
 * Fails unless `probabilities` can stand in for the built-in model's out-of-fold probabilities: one row per record,
 * one column per class, finite values in [0,1] that sum to 1 on every labelled row. `source` names them in messages.
 */
export function checkGivenProbabilities(
  probabilities: FeatureMatrix,
  dataset: Dataset,
  source: string,
): void {
  const labels = dataset.labels
  if (!labels) {
    throw PoisonguardError.at(
      'MISSING_INPUT',
      { file: source },
      'out-of-fold probabilities were given but the dataset has no label column',
      'name the label column (--label), or leave out the probabilities',
    )
  }
  const classCount = labels.classes.length
  if (probabilities.rows !== dataset.rowCount || probabilities.cols !== classCount) {
    throw PoisonguardError.at(
      'SHAPE_MISMATCH',
      { file: source },
      `expected shape (${dataset.rowCount}, ${classCount}): one row per record and one column per class ` +
        `(${labels.classes.join(', ')}), found (${probabilities.rows}, ${probabilities.cols})`,
      hint,
    )
  }
  for (let row = 0; row < probabilities.rows; row++) {
    const values = probabilities.data.subarray(row * classCount, (row + 1) * classCount)
    const outside = values.findIndex((value) => !(value >= 0 && value <= 1))
    if (outside >= 0)
      throw invalidRow(source, row, `value ${values[outside]} in column ${outside + 1} is not in [0, 1]`)
    const sum = values.reduce((total, value) => total + value, 0)
    if (labels.codes[row] >= 0 && Math.abs(sum - 1) > sumTolerance)
      throw invalidRow(source, row, `the probabilities sum to ${sum.toFixed(4)}, not 1`)
  }
}

function invalidRow(source: string, row: number, message: string): PoisonguardError {
  return PoisonguardError.at('INVALID_VALUE', { file: source, row: row + 1 }, message, hint)
}
