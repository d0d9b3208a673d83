import { extname } from 'node:path'
import { PoisonguardError } from '../../errors.js'
import { csvFormat } from './csv.js'
import { imagesFormat } from './images.js'
import { jsonlFormat } from './jsonl.js'
import { parquetFormat } from './parquet.js'
import type { DatasetFormatAdapter } from './types.js'

/** Every dataset format by name; the keys are the names `--format`, reports and `Dataset.origin.format` use. */
export const datasetFormats = {
  csv: csvFormat,
  jsonl: jsonlFormat,
  parquet: parquetFormat,
  images: imagesFormat,
} as const satisfies Record<string, DatasetFormatAdapter>

export type DatasetFormat = keyof typeof datasetFormats

/** The formats whose every column can be read record by record (provenance hashes those records). */
export type RawRecordFormat = {
  [Format in DatasetFormat]: (typeof datasetFormats)[Format] extends Required<
    Pick<DatasetFormatAdapter, 'readRawRecords'>
  >
    ? Format
    : never
}[DatasetFormat]

const FORMAT_NAMES = Object.keys(datasetFormats) as DatasetFormat[]

/** Checks a format name, e.g. a dataset's `origin.format`; an unknown name fails with the valid ones. */
export function checkFormat(name: string): DatasetFormat {
  if (Object.hasOwn(datasetFormats, name)) return name as DatasetFormat
  throw new PoisonguardError(
    'UNKNOWN_FORMAT',
    `unknown format ${JSON.stringify(name)}; expected one of: ${FORMAT_NAMES.join(', ')}`,
  )
}

/** The file format a path's extension names, if any. */
export function formatOfExtension(path: string): DatasetFormat | undefined {
  const extension = extname(path).toLowerCase()
  return FORMAT_NAMES.find((format) => adapterOf(format).extensions.includes(extension))
}

/** The format implied by a path: its extension, or the folder format for a folder. */
export function detectFormat(path: string, isDirectory: boolean): DatasetFormat {
  const format = isDirectory
    ? FORMAT_NAMES.find((name) => adapterOf(name).folder !== undefined)
    : formatOfExtension(path)
  if (format) return format
  const extension = extname(path).toLowerCase()
  throw PoisonguardError.at(
    'UNKNOWN_FORMAT',
    { file: path },
    `cannot tell the format from the extension ${extension === '' ? '(none)' : JSON.stringify(extension)}; supported: ${describeSupported()}`,
    `name the format with --format (one of ${FORMAT_NAMES.join(', ')})`,
  )
}

/** The adapter of a format. */
export function adapterOf(format: DatasetFormat): DatasetFormatAdapter {
  return datasetFormats[format]
}

/** `.csv (csv), .jsonl or .ndjson (jsonl), …, a folder of label folders (images)` */
function describeSupported(): string {
  return FORMAT_NAMES.map((name) => {
    const { extensions, folder } = adapterOf(name)
    return `${folder ?? extensions.join(' or ')} (${name})`
  }).join(', ')
}

/** The names of the formats that can be read record by record, in registry order. */
export function rawRecordFormats(): RawRecordFormat[] {
  return FORMAT_NAMES.filter((name) => adapterOf(name).readRawRecords !== undefined) as RawRecordFormat[]
}
