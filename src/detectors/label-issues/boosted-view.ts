import { type Dataset, usableTexts } from '../../data/dataset.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import { isSmallDense, smallDenseRowLimit } from '../../features/small-dense.js'
import { isShortTextCorpus } from '../../features/text.js'
import { textStyleFeatures } from '../../features/text-style.js'
import { crossValidatedBoostedProbabilities } from '../../models/boosted-cross-validation.js'
import { treesPerRound } from '../../models/boosted-trees.js'
import { createRng } from '../../util/rng.js'

/**
 * Labelled records below which no trees are grown: each fold's tenth held back to stop boosting would hold a
 * dozen records, and on the 150 iris flowers the trees' rankings of flipped labels fell to 0.5–0.6 in two of
 * three draws.
 */
const minimumLabelledRows = 500

/**
 * Labelled records × columns × trees a round, the size of the trees' work, at most: 8×8 digits (1,797 × 64 × 10)
 * cost them 1.0–1.5 CPU seconds; 10,000 records of 64 columns and ten classes cost 4.8, more than the rest of
 * their scan, and go without. Two classes cost one tree a round, and ten times the records.
 */
const maximumTreeWork = 2_000_000

/**
 * The columns trees read: the dataset's own numbers (trees care only about each column's order, so no scaling
 * helps them) when the scan reads numbers, or the style of short texts; when they are few and small enough.
 * Long texts say enough in words for the linear model alone.
 */
export function boostedTreeInput(dataset: Dataset): FeatureMatrix | undefined {
  const texts = dataset.embeddings ? undefined : usableTexts(dataset)
  const raw = texts
    ? isShortTextCorpus(texts) && texts.length <= smallDenseRowLimit
      ? textStyleFeatures(texts)
      : undefined
    : (dataset.embeddings ?? dataset.features)
  if (!raw || raw.cols === 0 || !isSmallDense(raw) || !dataset.labels) return undefined
  let labelled = 0
  for (const code of dataset.labels.codes) if (code >= 0) labelled++
  const work = labelled * raw.cols * treesPerRound(dataset.labels.classes.length)
  return labelled >= minimumLabelledRows && work <= maximumTreeWork ? raw : undefined
}

/**
 * Out-of-fold probabilities of gradient-boosted trees on the dataset's few columns, a second model beside the
 * linear one: on 8×8 digits and a table of mail statistics each ranks flipped labels the other misses.
 */
export function boostedTreeProbabilities(
  dataset: Dataset,
  seed: number,
  signal?: AbortSignal,
): FeatureMatrix | undefined {
  const x = boostedTreeInput(dataset)
  const labels = dataset.labels
  if (!x || !labels) return undefined
  return crossValidatedBoostedProbabilities(x, labels.codes, labels.classes.length, {
    rng: createRng(seed),
    signal,
  })
}

/** The mean of two models' class probabilities, row by row. */
export function averageProbabilities(first: FeatureMatrix, second: FeatureMatrix): FeatureMatrix {
  const data = Float32Array.from(first.data, (value, index) => (value + second.data[index]) / 2)
  return { data, rows: first.rows, cols: first.cols }
}
