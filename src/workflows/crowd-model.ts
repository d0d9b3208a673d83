import type { ModelView } from '../crowd/model-view.js'
import type { AnnotationTable, Consensus } from '../crowd/types.js'
import type { Dataset } from '../data/dataset.js'
import { selectRows, selectSparseRows } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { createPortableBackend } from '../linalg/portable.js'
import { crossValidatedProbabilities } from '../models/cross-validation.js'
import { isSparseMatrix } from '../models/design.js'
import { prepareRepresentation } from '../scan/representation.js'
import { createRng } from '../util/rng.js'

/** Fewer covered items than this cannot train a model worth listening to. */
export const MIN_MODEL_ITEMS = 20

/**
 * The built-in model's view of the items: a logistic regression on the dataset's features (text TF-IDF, pixels,
 * numeric columns or embeddings, as `scan` represents them), trained on the crowd's consensus labels and predicting
 * every item out of fold, so no item's prediction comes from a model that saw its own crowd label. Dataset rows are
 * matched to items by id; the ids of rows nobody answered are returned, and those rows are left out.
 */
export async function computeModelView(
  dataset: Dataset,
  table: AnnotationTable,
  consensus: Consensus,
  seed: number,
): Promise<ModelView & { unanswered: string[] }> {
  const classCount = table.classes.length
  const itemOf = new Map(table.itemIds.map((id, i) => [id, i]))
  const rows: number[] = []
  const items: number[] = []
  const unanswered: string[] = []
  dataset.ids.forEach((id, row) => {
    const item = itemOf.get(id)
    if (item === undefined) {
      unanswered.push(id)
      return
    }
    rows.push(row)
    items.push(item)
  })
  const where = { file: dataset.origin.path }
  if (items.length < MIN_MODEL_ITEMS) {
    throw PoisonguardError.at(
      'NOT_ENOUGH_DATA',
      where,
      `only ${items.length} of its record ids are answered items; the model needs at least ${MIN_MODEL_ITEMS}`,
      'the dataset ids (--dataset-id column, default "id") must be the item ids of the answers',
    )
  }
  // Geometry is not used here; two components keep its PCA cheap.
  const representation = await prepareRepresentation(dataset, {
    backend: createPortableBackend(),
    seed,
    geometryDimensions: 2,
  })
  if (!representation) {
    throw PoisonguardError.at(
      'MISSING_INPUT',
      where,
      'the dataset has no features, text, pixels or embeddings to learn from',
    )
  }
  const input = representation.modelInput
  const x = isSparseMatrix(input) ? selectSparseRows(input, rows) : selectRows(input, rows)
  const labels = Int32Array.from(items, (item) => consensus.label[item])
  const predicted = crossValidatedProbabilities(x, labels, classCount, { rng: createRng(seed) })
  const probabilities = new Float64Array(table.itemIds.length * classCount)
  const covered = new Uint8Array(table.itemIds.length)
  items.forEach((item, index) => {
    covered[item] = 1
    for (let k = 0; k < classCount; k++)
      probabilities[item * classCount + k] = predicted.data[index * classCount + k]
  })
  return { probabilities, covered, unanswered }
}
