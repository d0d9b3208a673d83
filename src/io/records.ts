import { PoisonguardError } from '../errors.js'
import { statOrThrow } from './files.js'
import { adapterOf, detectFormat, type RawRecordFormat, rawRecordFormats } from './formats/index.js'
import type { RawReadSummary, RawRecord } from './formats/types.js'
import { DEFAULT_MAX_LINE_BYTES } from './load.js'

export type { RawRecordFormat } from './formats/index.js'
export type { RawRecord } from './formats/types.js'

/** What a raw read learnt about the file besides its records. */
export interface RawRecordFile extends RawReadSummary {
  readonly format: RawRecordFormat
}

/** Options of `readRawRecords`. */
export interface RawRecordOptions {
  format?: RawRecordFormat
  /** Longest line or record in bytes; default 8 MiB. */
  maxLineBytes?: number
  onProgress?: (fractionDone: number) => void
}

/**
 * Streams every record of a CSV, JSON Lines or Parquet file with all its columns, in input order and in bounded
 * memory, and returns the file's SHA-256 from the same pass (Parquet: a second read of the bytes).
 */
export async function readRawRecords(
  path: string,
  onRecord: (record: RawRecord) => void,
  options: RawRecordOptions = {},
): Promise<RawRecordFile> {
  const stats = await statOrThrow(path)
  const format = options.format ?? detectFormat(path, stats.isDirectory())
  const read = adapterOf(format).readRawRecords
  if (!read) {
    const covered = rawRecordFormats()
    const listed = `${covered.slice(0, -1).join(', ')} and ${covered.at(-1)}`
    throw PoisonguardError.at(
      'UNKNOWN_FORMAT',
      { file: path },
      `record-level reading covers ${listed} files, not ${format}`,
      'convert the data to one of these formats',
    )
  }
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
  const summary = await read(path, onRecord, { maxLineBytes, onProgress: options.onProgress })
  return { format: format as RawRecordFormat, ...summary }
}
