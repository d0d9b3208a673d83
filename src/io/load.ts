import type { Dataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { progressCheckingAbort, throwIfAborted } from '../util/abort.js'
import { fractionDetail, type ProgressOptions, progressReporter } from '../util/progress.js'
import { type DeclaredKind, declaredKinds, queryTexts, withContentKind } from './content-kind.js'
import { statOrThrow } from './files.js'
import { adapterOf, checkFormat, type DatasetFormat, detectFormat } from './formats/index.js'
import { jsonlFormat } from './formats/jsonl.js'
import type { RawRecord } from './formats/types.js'
import { loadEmbeddings } from './npy.js'

/** How to read a dataset; every column choice is optional and falls back to the naming conventions. */
export interface LoadOptions extends ProgressOptions {
  /** Else detected: `.csv`, `.jsonl`/`.ndjson`, `.parquet`, or a folder of images. */
  format?: DatasetFormat
  /** Id column; default `id` when present, else the 1-based row number. */
  id?: string
  /** Label column; default `label` when present; `false` loads without labels. */
  label?: string | false
  /** Text column; default `text` when present. */
  text?: string
  /** Column naming who or where a record came from; default `source` when present. */
  source?: string
  /** Feature columns; default every numeric column that has no role and is not named id, label, text or source. */
  features?: string[]
  /** Path of a NumPy `.npy` float32/float64 2-D array with one row per record. */
  embeddings?: string
  /**
   * What the records are: fine-tuning pairs (JSON Lines with prompt/response or messages; detected) or a retrieval
   * corpus (one document per record; implied by `queries`); default a table.
   */
  kind?: DeclaredKind
  /** JSON Lines of the questions a retrieval corpus is expected to answer, one `{"query": "…"}` per line. */
  queries?: string
  /** Images: side in pixels of the square they are resized to; default keeps a shared size ≤ 64, else 32. */
  imageSize?: number
  /** Longest line or record in bytes; default 8 MiB. */
  maxLineBytes?: number
  /**
   * Most columns a tabular file may have; default 4,096 keys in JSON Lines (a 64×64 image; sparse records reach it
   * quickly) and 262,144 declared by a CSV header or a Parquet schema (a 256×256 colour image).
   */
  maxColumns?: number
  onProgress?: (fractionDone: number) => void
  /** Checked before each step and between chunks of the file; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
}

/** Longest line or record in bytes unless the caller says otherwise. */
export const DEFAULT_MAX_LINE_BYTES = 8 << 20

/** Loads a CSV, JSON Lines, Parquet file or an image folder into an immutable Dataset. */
export async function loadDataset(path: string, options: LoadOptions = {}): Promise<Dataset> {
  checkOptions(options)
  const during = 'loading the dataset'
  const checkAborted = () => throwIfAborted(options.signal, during)
  const onProgress = progressReporter(options, fractionDetail)
  checkAborted()
  const stats = await statOrThrow(path)
  const format = options.format ?? detectFormat(path, stats.isDirectory())
  const adapter = adapterOf(format)
  if ((adapter.folder !== undefined) !== stats.isDirectory()) {
    const expected = adapter.folder ?? `a ${format} file`
    throw PoisonguardError.at(
      'INVALID_ARGUMENT',
      { file: path },
      `format ${format} expects ${expected}, but this is ${stats.isDirectory() ? 'a folder' : 'a file'}`,
      'pass the right --format, or leave it out to detect it',
    )
  }
  if (adapter.folder === undefined && stats.size === 0) {
    throw PoisonguardError.at(
      'EMPTY_FILE',
      { file: path },
      'the file is empty',
      'a dataset file needs at least one record (CSV: a header row and records)',
    )
  }
  let dataset = await adapter.load(path, {
    ...options,
    onProgress: progressCheckingAbort(options.signal, during, onProgress),
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
  })
  checkAborted()
  if (options.embeddings !== undefined) {
    dataset = { ...dataset, embeddings: await loadEmbeddings(options.embeddings, dataset.rowCount) }
  }
  if (options.queries !== undefined || (options.kind !== undefined && options.kind !== dataset.contentKind)) {
    const queries = options.queries === undefined ? undefined : await loadQueries(options.queries)
    dataset = withContentKind(dataset, options.kind ?? 'corpus', queries)
  }
  checkAborted()
  onProgress?.(1)
  return dataset
}

async function loadQueries(path: string): Promise<string[]> {
  const records: RawRecord[] = []
  await jsonlFormat.readRawRecords(path, (record) => records.push(record), {
    maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  })
  return queryTexts(records, path)
}

function checkOptions(options: LoadOptions): void {
  if (options.format !== undefined) checkFormat(options.format)
  if (options.kind !== undefined && !declaredKinds.includes(options.kind)) {
    throw new PoisonguardError(
      'UNKNOWN_NAME',
      `unknown kind "${options.kind}"; valid kinds: ${declaredKinds.join(', ')}`,
      { hint: 'leave --kind out for a table' },
    )
  }
  if (options.queries !== undefined && options.kind === 'instructions') {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      '--queries go with a retrieval corpus, not fine-tuning pairs',
      {
        hint: 'use --kind corpus, or leave --queries out',
      },
    )
  }
  const positiveInteger = (name: string, value: number | undefined, max: number) => {
    if (value === undefined || (Number.isInteger(value) && value >= 1 && value <= max)) return
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `${name} must be a whole number from 1 to ${max}, received ${value}`,
    )
  }
  positiveInteger('imageSize', options.imageSize, 1024)
  positiveInteger('maxLineBytes', options.maxLineBytes, 2 ** 30)
  positiveInteger('maxColumns', options.maxColumns, 2 ** 24)
  if (options.features !== undefined && options.features.length === 0) {
    throw new PoisonguardError('INVALID_ARGUMENT', 'features must name at least one column', {
      hint: 'leave features out to use every numeric column',
    })
  }
}
