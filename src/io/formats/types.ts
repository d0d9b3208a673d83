import type { Dataset } from '../../data/dataset.js'
import type { ColumnOptions } from '../columns.js'
import type { DeclaredKind } from '../content-kind.js'

/** Load options after defaults, the same for every format; each reads the ones that apply to it. */
export interface FormatLoadOptions extends ColumnOptions {
  /** Longest line or record in bytes. */
  maxLineBytes: number
  /** Images: side in pixels of the square they are resized to. */
  imageSize?: number
  /** What the records are, when the user says so; JSON Lines detects fine-tuning pairs itself. */
  kind?: DeclaredKind
  onProgress?: (fractionDone: number) => void
}

/**
 * One record with every column, as the file holds it: CSV gives text (`''` when empty), JSON Lines and Parquet
 * give their typed values. The arrays may be reused for the next record, so read them inside the callback.
 */
export interface RawRecord {
  /** Column names of this record; CSV and Parquet pass the same array for every record. */
  readonly columns: readonly string[]
  /** Values parallel to `columns`. */
  readonly values: readonly unknown[]
  /** 1-based record number, header excluded. */
  readonly row: number
  /** Physical 1-based line where the record starts, for text formats. */
  readonly line?: number
}

/** What a raw read learnt about the file besides its records. */
export interface RawReadSummary {
  readonly sha256: string
  readonly byteCount: number
  readonly recordCount: number
}

/** Options of a raw record read, after defaults. */
export interface RawReadOptions {
  maxLineBytes: number
  onProgress?: (fractionDone: number) => void
}

/** Row → new label, for a filtered copy that also relabels. */
export type Relabel = ReadonlyMap<number, string>

/** How cells are written. */
export interface CellWriteOptions {
  /** CSV: prefix every cell a spreadsheet would run as a formula with `'` (see `isFormulaCell`). */
  readonly excelSafe?: boolean
}

/**
 * Everything poisonguard does with one dataset format. A new format is one adapter file plus one line in the
 * registry (`formats/index.ts`); nothing else branches on the format.
 */
export interface DatasetFormatAdapter {
  /** File extensions that name the format, lower case with the dot; empty for a folder format. */
  readonly extensions: readonly string[]
  /** Set for a format read from a folder: what the folder holds, e.g. `a folder of label folders`. */
  readonly folder?: string
  /** Reads the file (or folder) into an immutable Dataset. */
  load(path: string, options: FormatLoadOptions): Promise<Dataset>
  /** Streams every record with all its columns in bounded memory, and hashes the file on the way. */
  readRawRecords?(
    path: string,
    onRecord: (record: RawRecord) => void,
    options: RawReadOptions,
  ): Promise<RawReadSummary>
  /** Writes the records whose keep[row] === 1 into `tempPath` as the input holds them, relabelled ones changed. */
  writeFiltered(
    dataset: Dataset,
    keep: Uint8Array,
    tempPath: string,
    relabel?: Relabel,
    cells?: CellWriteOptions,
  ): Promise<void>
  /** False when `label` cannot be a relabelled record's new label in this format; default: any label. */
  acceptsLabel?(label: string): boolean
  /** Writes every record into `tempPath` in the conventional columns (id, label, text, source, features). */
  write(dataset: Dataset, tempPath: string, cells?: CellWriteOptions): Promise<void>
  /** The id a reader of the written copy will see for each record; default: the dataset's own ids. */
  writtenIds?(dataset: Dataset, cells?: CellWriteOptions): string[]
}
