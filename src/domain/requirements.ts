/**
 * What a detector or an attack needs a dataset to hold. A detector lacking one is skipped with the reason; an attack
 * lacking one is refused. `features` are numeric values to work on: for a detector any representation the scan can
 * derive (numeric columns, embeddings, text or pixels), for an attack numeric columns it can edit. `annotations`
 * are a crowd's answers about the records (`scan --annotations`); `documents` are the texts of fine-tuning pairs or
 * a retrieval corpus, `instructions` fine-tuning pairs, `queries` the questions a retrieval corpus is expected to
 * answer.
 */
export const requirements = [
  'labels',
  'features',
  'text',
  'images',
  'annotations',
  'documents',
  'instructions',
  'queries',
] as const

export type Requirement = (typeof requirements)[number]
