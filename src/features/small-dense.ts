import type { FeatureMatrix } from '../data/matrix.js'

/**
 * Inputs of at most this many columns (tables, small images) are small enough for learners a linear model over
 * the columns cannot replace: kernel features, a random forest.
 */
const fewColumns = 64

/**
 * Past this many records those learners are left out: kernel features make the model's input up to nine times
 * the table's size and its training as many times as costly (a million rows of 64 columns would need 2 GiB more),
 * which the scaling bars cannot afford; their gains were measured on at most 6,046 records.
 */
export const smallDenseRowLimit = 20_000

/** Whether a dense input has few enough columns and records for the learners above. */
export function isSmallDense(matrix: Pick<FeatureMatrix, 'rows' | 'cols'>): boolean {
  return matrix.cols <= fewColumns && matrix.rows <= smallDenseRowLimit
}
