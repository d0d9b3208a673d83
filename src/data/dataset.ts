import type { ImageShape } from './image-shape.js'
import { type FeatureMatrix, selectRows } from './matrix.js'

/** Class labels encoded as indices into `classes`; -1 marks a record without a label. */
export interface LabelColumn {
  readonly name: string
  readonly classes: readonly string[]
  readonly codes: Int32Array
}

/** Where a dataset came from and how it was read; enough to write a filtered copy in the same format. */
export interface DatasetOrigin {
  readonly path: string
  /** Name of the format that read it, e.g. `csv` or `images`; the formats are registered in `src/io/formats`. */
  readonly format: string
  readonly sha256: string
  readonly byteCount: number
}

/** A feature column whose empty cells the loader filled with the column mean. */
export interface ImputedColumn {
  /** Empty cells found, and filled, in this column. */
  readonly cellCount: number
  readonly mean: number
}

/**
 * What a loader noticed without stopping, as data: later steps read these fields (a schema's null rates, a retyped
 * column), and the user-facing `warnings` are rendered from them.
 */
export interface LoadDiagnostics {
  /** Feature columns that had empty cells, in column order. */
  readonly imputed: ReadonlyMap<string, ImputedColumn>
  /** Columns left out of the features because they hold text. */
  readonly textColumns: readonly string[]
  /**
   * Text columns with few distinct values, read as one 0/1 feature `<name>=<value>` per value (sorted); absent
   * when there are none.
   */
  readonly categoricalColumns?: readonly { readonly name: string; readonly values: readonly string[] }[]
  /** Columns left out of the features because every cell is empty. */
  readonly emptyColumns: readonly string[]
  /** Files in an image folder that were skipped: not an image, or not inside a label folder. */
  readonly skippedFiles: readonly string[]
  /** Label, text and feature columns with more empty cells than `mostlyEmptyShare` allows. */
  readonly mostlyEmpty: readonly MostlyEmptyColumn[]
  /** Why feature columns named as colour pixels were read as table columns instead; absent otherwise. */
  readonly notColourImage?: string
}

/** A column most of whose cells are empty, what it was read as, and how many of its cells are empty. */
export interface MostlyEmptyColumn {
  readonly name: string
  readonly role: 'text' | 'label' | 'feature'
  readonly emptyCount: number
}

/**
 * Largest share of empty cells a column may hold before it counts as mostly empty: a warning, and a text column
 * that is not used (its few texts cannot stand for the records, and empty texts would all look alike).
 */
export const mostlyEmptyShare = 0.5

/** Whether `emptyCount` of `rowCount` cells make a column mostly empty. */
export function isMostlyEmpty(emptyCount: number, rowCount: number): boolean {
  return emptyCount > mostlyEmptyShare * rowCount
}

/** Records whose text is empty or blank. */
export function countEmptyTexts(texts: readonly string[]): number {
  let count = 0
  // Not `trim()`, which copies every text that starts or ends with white space (most e-mails end with a newline).
  for (const text of texts) if (!/\S/.test(text)) count++
  return count
}

/** The dataset's texts, or undefined when it has none or the text column is mostly empty. */
export function usableTexts(dataset: Dataset): readonly string[] | undefined {
  const { texts } = dataset
  return texts && !isMostlyEmpty(countEmptyTexts(texts), dataset.rowCount) ? texts : undefined
}

/** Why the dataset's texts are not used: a sentence naming the column and its empty share, or undefined. */
export function unusableTextReason(dataset: Dataset): string | undefined {
  const { texts } = dataset
  if (!texts || usableTexts(dataset)) return undefined
  const empty = countEmptyTexts(texts)
  return `the text column "${dataset.textColumn ?? 'text'}" is empty in ${empty} of ${dataset.rowCount} records`
}

/** What the records of a dataset are: rows of a table (the default), fine-tuning pairs, or retrieval documents. */
export type ContentKind = 'table' | 'instructions' | 'corpus'

/** Fine-tuning pairs, one per record; the record's text holds the prompt, a blank line and the response. */
export interface InstructionPairs {
  readonly prompts: readonly string[]
  readonly responses: readonly string[]
  /** How the input spelled each pair, so a written copy reads back as pairs; default `prompt-response`. */
  readonly layout?: InstructionLayout
}

/** Ways a JSON Lines record holds a fine-tuning pair: `prompt`/`response`, `instruction`/`output`, or `messages`. */
export type InstructionLayout = 'prompt-response' | 'instruction-output' | 'messages'

/** The text of a fine-tuning record: its prompt, a blank line, its response. */
export function pairText(prompt: string, response: string): string {
  return `${prompt}\n\n${response}`
}

/**
 * One loaded dataset, immutable. Every per-record array has `rowCount` entries in input order.
 * `features` holds the raw numeric feature columns (not standardised); images store their pixels as loaded (an
 * image folder in [0,1]), colour images interleaved per pixel (see `ImageShape`).
 */
export interface Dataset {
  readonly origin: DatasetOrigin
  readonly rowCount: number
  readonly ids: readonly string[]
  readonly labels?: LabelColumn
  readonly texts?: readonly string[]
  readonly textColumn?: string
  readonly sources?: readonly string[]
  readonly features?: FeatureMatrix
  readonly featureNames: readonly string[]
  /** Set when each feature row is an image, grey or colour, so detectors read pixels and reports draw them. */
  readonly imageShape?: ImageShape
  /**
   * Set where the pixels were read from image files and scaled into [0,1]: the files' own value of a loaded 1 (255
   * for 8-bit images), so findings name pixel values as the files hold them.
   */
  readonly imageFileScale?: number
  readonly embeddings?: FeatureMatrix
  /** Set for fine-tuning and retrieval data; absent means a table. */
  readonly contentKind?: ContentKind
  /** Prompts and responses of fine-tuning data (`contentKind` 'instructions'). */
  readonly instructions?: InstructionPairs
  /** Questions the retrieval corpus is expected to answer (`--queries`); not records of the dataset. */
  readonly queries?: readonly string[]
  /** What the loader noticed (imputed cells, skipped columns and files); absent for datasets built in memory. */
  readonly diagnostics?: LoadDiagnostics
  /** What a crowd of annotators said about the records (`scan --annotations`); rows align with the dataset. */
  readonly crowd?: CrowdEvidence
  /** Problems that did not stop loading but that a user should see, as messages (rendered from `diagnostics`). */
  readonly warnings: readonly string[]
}

/**
 * The crowd's view of each record's label, from an aggregation of its annotators' answers (Dawid–Skene by
 * default) after the annotators found to be spammers, targeted or colluding were set aside or down-weighted.
 */
export interface CrowdEvidence {
  /** Where the answers came from, for explanations and the report. */
  readonly source: string
  /** The aggregation model that produced the posteriors. */
  readonly model: string
  /** Per record: the crowd's posterior that the dataset's own label is right; NaN where the crowd said nothing. */
  readonly labelPosterior: Float32Array
  /** Per record: the crowd's consensus as a code of the dataset's classes; −1 where none or not one of them. */
  readonly consensus: Int32Array
  /** Per record: the posterior of the consensus label. */
  readonly consensusConfidence: Float32Array
  /** Per record: the answers the crowd gave. */
  readonly answers: Int32Array
  /** Per record: annotators found to be adversaries who gave the dataset's own label; absent where none did. */
  readonly pushedBy: readonly (readonly string[] | undefined)[]
  /** Groups of annotators found answering in concert, by annotator id. */
  readonly groups: readonly { readonly annotators: readonly string[] }[]
}

/** A dataset of labelled texts and nothing else, its texts in a column `text`, as the built-in mails are. */
export function labelledTexts(
  origin: DatasetOrigin,
  ids: readonly string[],
  label: { readonly name: string; readonly values: readonly string[] },
  texts: readonly string[],
): Dataset {
  return {
    origin,
    rowCount: texts.length,
    ids,
    labels: encodeLabels(label.name, label.values),
    texts,
    textColumn: 'text',
    featureNames: [],
    warnings: [],
  }
}

/** Counts of records per class name, in class order; unlabelled records are not counted. */
export function countLabels(labels: LabelColumn): Record<string, number> {
  const counts = new Array<number>(labels.classes.length).fill(0)
  for (const code of labels.codes) if (code >= 0) counts[code]++
  return Object.fromEntries(labels.classes.map((name, index) => [name, counts[index]]))
}

/** Sorts class names numerically when all are numbers, otherwise lexically, so "10" follows "9". */
export function sortClassNames(names: Iterable<string>): string[] {
  const unique = [...new Set(names)]
  const allNumeric = unique.every((name) => name.trim() !== '' && Number.isFinite(Number(name)))
  return allNumeric ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort()
}

/** Encodes label strings against sorted class names; empty or missing labels become -1. */
export function encodeLabels(name: string, values: readonly (string | null | undefined)[]): LabelColumn {
  const present = values.filter(
    (value): value is string => value !== null && value !== undefined && value !== '',
  )
  const classes = sortClassNames(present)
  const index = new Map(classes.map((className, position) => [className, position]))
  const codes = new Int32Array(values.length)
  for (let row = 0; row < values.length; row++) {
    const value = values[row]
    codes[row] = value === null || value === undefined || value === '' ? -1 : index.get(value)!
  }
  return { name, classes, codes }
}

/**
 * Why the dataset lacks fine-tuning or retrieval content a detector or attack needs, or undefined when it has it;
 * `documents` is met by fine-tuning pairs and by a corpus.
 */
export function missingContent(
  dataset: Dataset,
  requirement: 'documents' | 'instructions' | 'queries',
): string | undefined {
  const kind = dataset.contentKind ?? 'table'
  switch (requirement) {
    case 'documents':
      return kind !== 'table' && dataset.texts
        ? undefined
        : 'the dataset holds no fine-tuning pairs and no retrieval corpus (choose one with --kind)'
    case 'instructions':
      return dataset.instructions && dataset.texts
        ? undefined
        : 'the dataset holds no prompt/response pairs (JSON Lines with prompt and response, or messages)'
    case 'queries':
      return dataset.texts && dataset.queries && dataset.queries.length > 0
        ? undefined
        : 'no expected queries were given for the retrieval corpus (pass them with --queries q.jsonl)'
  }
}

/** The records at `rows` (in that order) as a new dataset sharing the label classes of the input. */
export function subsetDataset(dataset: Dataset, rows: ArrayLike<number>): Dataset {
  const pick = <T>(values: readonly T[] | undefined) => values && Array.from(rows, (row) => values[row])
  const { labels, features, embeddings } = dataset
  return {
    ...dataset,
    rowCount: rows.length,
    ids: pick(dataset.ids)!,
    labels: labels && { ...labels, codes: Int32Array.from(rows, (row) => labels.codes[row]) },
    texts: pick(dataset.texts),
    sources: pick(dataset.sources),
    features: features && selectRows(features, rows),
    embeddings: embeddings && selectRows(embeddings, rows),
  }
}
