import type { FeatureMatrix, SparseMatrix } from '../../data/matrix.js'
import {
  crossValidatedProbabilitiesWith,
  type FoldExecutor,
  sequentialFoldExecutor,
} from '../../models/cross-validation.js'
import { createRng } from '../../util/rng.js'
import type { ViewWeights } from './posterior.js'

/**
 * Draws of the folds whose out-of-fold probabilities are averaged, the scan's own draw among them. On mails with 10%
 * flips (seeds 1–10) the second draw, with the views' product ranking, raised `label-issues`' lowest average
 * precision from 0.9864 to 0.9910 (0.9893 without); a third raised it to 0.9919 for as much CPU again (docs/zoo.md).
 */
const foldDrawCount = 2

/**
 * Whether the model's probabilities are worth drawing again: where the model knows the labels better than the
 * neighbours, its out-of-fold probabilities are the view the labels are read by, and their noise the ranking's.
 * Where the neighbours lead (digits), the model's draw matters less and the scan's cost stays as it was.
 */
export function readsFoldDraws(weights: ViewWeights): boolean {
  return weights.model > weights.neighbours
}

/**
 * The built-in linear model's out-of-fold probabilities averaged over `foldDrawCount` draws of the folds, `first`
 * being the scan's (seeded with `seed`). A record's out-of-fold probability carries the noise of its draw (which
 * records trained the model that read it, in what order): on mails a label's log-odds vary by about 0.3 from draw to
 * draw. Ranked by one draw, the honest records among the flips are mostly there by that noise, and the flips are
 * not: over six draws, honest records the first draw read as doubtfully as flips rose by a median 0.2–0.38 in
 * log-odds while the flips beside them fell by 0.14–0.36. Every record must be labelled. The other draws' folds
 * all go to `folds` at once (the scan's workers, which idle by then on mails); each draw is added in its order, so
 * the sum is the same wherever they train.
 */
export async function foldAveragedProbabilities(
  modelFeatures: FeatureMatrix | SparseMatrix,
  codes: Int32Array,
  first: FeatureMatrix,
  seed: number,
  { folds = sequentialFoldExecutor, signal }: { folds?: FoldExecutor; signal?: AbortSignal } = {},
): Promise<FeatureMatrix> {
  const drawn = await Promise.all(
    Array.from({ length: foldDrawCount - 1 }, (_, index) =>
      crossValidatedProbabilitiesWith(folds, modelFeatures, codes, first.cols, {
        rng: createRng(seed + index + 1),
        signal,
      }),
    ),
  )
  const data = Float32Array.from(first.data)
  for (const draw of drawn) for (let index = 0; index < data.length; index++) data[index] += draw.data[index]
  for (let index = 0; index < data.length; index++) data[index] /= foldDrawCount
  return { data, rows: first.rows, cols: first.cols }
}
