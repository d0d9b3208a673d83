import { type Dataset, pairText } from '../data/dataset.js'
import { poisonedDataset } from './rows.js'

/** The fine-tuning set with new prompts and responses; the texts of `rows` are rebuilt from their pairs. */
export function withPairs(
  dataset: Dataset,
  prompts: readonly string[],
  responses: readonly string[],
  rows: Int32Array,
): Dataset {
  const texts = [...dataset.texts!]
  for (const row of rows) texts[row] = pairText(prompts[row], responses[row])
  return {
    ...poisonedDataset(dataset, { texts }),
    instructions: { ...dataset.instructions, prompts, responses },
  }
}
