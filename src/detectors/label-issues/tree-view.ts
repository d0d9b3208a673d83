import { type Dataset, usableTexts } from '../../data/dataset.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import { isSmallDense, smallDenseRowLimit } from '../../features/small-dense.js'
import { isShortTextCorpus } from '../../features/text.js'
import { textStyleFeatures } from '../../features/text-style.js'
import { outOfBagForestProbabilities } from '../../models/random-forest.js'
import { createRng } from '../../util/rng.js'

/**
 * Labelled records below which no trees are grown: on the 150 iris flowers trees' rankings of flipped labels fell
 * to 0.5–0.6 in two of three draws.
 */
const minimumLabelledRows = 500

/**
 * Labelled records × the columns a split chooses among (√columns), the size of the forest's work, at most: the
 * mail table (6,046 × 16) costs 24,000 and its forest about half a CPU second; a budget 2.5 times that keeps the
 * trees to tables whose scan they do not dominate.
 */
const maximumTreeWork = 60_000

/**
 * The columns trees read: the dataset's own numbers (trees care only about each column's order, so no scaling
 * helps them) when the scan reads numbers, or the style of short texts; when they are few and small enough.
 * Long texts say enough in words for the linear model alone.
 */
export function treeInput(dataset: Dataset): FeatureMatrix | undefined {
  const texts = dataset.embeddings ? undefined : usableTexts(dataset)
  const raw = texts
    ? isShortTextCorpus(texts) && texts.length <= smallDenseRowLimit
      ? textStyleFeatures(texts)
      : undefined
    : (dataset.embeddings ?? dataset.features)
  if (!raw || raw.cols === 0 || !isSmallDense(raw) || !dataset.labels) return undefined
  let labelled = 0
  for (const code of dataset.labels.codes) if (code >= 0) labelled++
  const work = labelled * Math.floor(Math.sqrt(raw.cols))
  return labelled >= minimumLabelledRows && work <= maximumTreeWork ? raw : undefined
}

/**
 * Out-of-bag probabilities of a random forest on the dataset's few columns, a second model beside the linear one:
 * on 8×8 digits and a table of mail statistics each ranks flipped labels the other misses, and a forest moves less
 * with the flipped labels it is trained on than boosted trees, which fit them stage by stage (docs/zoo.md).
 */
export function treeProbabilities(
  dataset: Dataset,
  seed: number,
  signal?: AbortSignal,
): FeatureMatrix | undefined {
  const x = treeInput(dataset)
  const labels = dataset.labels
  if (!x || !labels) return undefined
  return outOfBagForestProbabilities(x, labels.codes, {
    classCount: labels.classes.length,
    rng: createRng(seed),
    signal,
  })
}

/** The mean of two models' class probabilities, row by row. */
export function averageProbabilities(first: FeatureMatrix, second: FeatureMatrix): FeatureMatrix {
  const data = Float32Array.from(first.data, (value, index) => (value + second.data[index]) / 2)
  return { data, rows: first.rows, cols: first.cols }
}
