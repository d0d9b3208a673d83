import {
  type AnnotationTable,
  AnnotationTableBuilder,
  alignGold,
  type CrowdInputWarning,
} from '../crowd/index.js'
import { PoisonguardError } from '../errors.js'
import type { RawRecordFormat } from '../io/formats/index.js'
import { IssueList } from '../io/issues.js'
import { type RawRecord, readRawRecords } from '../io/records.js'
import { fractionDetail, type ProgressOptions, progressReporter } from '../util/progress.js'

/** Column names of an annotation table; the defaults are `item`, `annotator`, `label` and `timestamp`. */
export interface AnnotationColumns {
  item?: string
  annotator?: string
  label?: string
  /** Optional: when absent from the file, answers have no time and the burst test is skipped. */
  time?: string
}

export interface LoadAnnotationsOptions extends ProgressOptions {
  columns?: AnnotationColumns
  format?: RawRecordFormat
  onProgress?: (fractionDone: number) => void
}

export interface LoadedAnnotations {
  readonly table: AnnotationTable
  readonly warnings: readonly CrowdInputWarning[]
  readonly file: { path: string; format: RawRecordFormat; sha256: string }
}

const COLUMN_HINT = 'name the columns with --item-column, --annotator-column and --label-column'

/** A cell as text, or undefined when it is empty or missing. */
function textOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined
  const text = (value instanceof Date ? value.toISOString() : String(value)).trim()
  return text === '' ? undefined : text
}

/** A time cell in seconds: a number (or numeric text) as it is, a date or ISO 8601 text from the epoch. */
function secondsOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'bigint') return Number(value)
  if (value instanceof Date) return value.getTime() / 1000
  const text = textOf(value)
  if (text === undefined) return Number.NaN
  const number = Number(text)
  if (Number.isFinite(number)) return number
  const parsed = Date.parse(text)
  return Number.isNaN(parsed) ? undefined : parsed / 1000
}

/**
 * Where each named column sits in a record (−1 when absent). CSV and Parquet pass one column array for every
 * record, so the lookup is cached by identity; JSON Lines records may each have their own columns.
 */
function columnLocator(names: readonly (string | undefined)[]) {
  let columns: readonly string[] | undefined
  let indices: number[] = []
  return (record: RawRecord): number[] => {
    if (record.columns !== columns) {
      columns = record.columns
      indices = names.map((name) => (name === undefined ? -1 : record.columns.indexOf(name)))
    }
    return indices
  }
}

/** Reads one table of records: the required columns' texts per record, with every problem listed. */
async function readTable(
  path: string,
  required: { name: string; flag: string }[],
  optional: string | undefined,
  options: LoadAnnotationsOptions,
  onRow: (values: string[], optionalValue: unknown, row: number) => void,
) {
  const emptyCells = new IssueList('INVALID_VALUE', 'every answer needs an item, an annotator and a label')
  const locate = columnLocator([...required.map((column) => column.name), optional])
  const values: string[] = []
  const summary = await readRawRecords(
    path,
    (record) => {
      const indices = locate(record)
      values.length = 0
      for (let column = 0; column < required.length; column++) {
        const { name, flag } = required[column]
        if (indices[column] < 0) {
          const present = record.columns.map((column) => JSON.stringify(column)).join(', ')
          const where = { file: path, row: record.row, line: record.line }
          throw PoisonguardError.at(
            'MISSING_COLUMN',
            where,
            `no column "${name}" (${flag}); the columns are ${present}`,
            COLUMN_HINT,
          )
        }
        const text = textOf(record.values[indices[column]])
        if (text === undefined) {
          emptyCells.add(
            { file: path, row: record.row, line: record.line, column: name },
            'the cell is empty',
          )
          return
        }
        values.push(text)
      }
      const optionalIndex = indices[required.length]
      onRow(values, optionalIndex < 0 ? undefined : record.values[optionalIndex], record.row)
    },
    { format: options.format, onProgress: progressReporter(options, fractionDetail) },
  )
  emptyCells.throwIfAny()
  return summary
}

/**
 * Reads crowd answers (one record per answer: item, annotator, label, optional time) from CSV, JSON Lines or
 * Parquet. Empty cells, missing columns and unreadable times fail with every location listed; repeated answers,
 * one-off labels and a lone annotator are warnings.
 */
export async function loadAnnotations(
  path: string,
  options: LoadAnnotationsOptions = {},
): Promise<LoadedAnnotations> {
  const columns = options.columns ?? {}
  const required = [
    { name: columns.item ?? 'item', flag: '--item-column' },
    { name: columns.annotator ?? 'annotator', flag: '--annotator-column' },
    { name: columns.label ?? 'label', flag: '--label-column' },
  ]
  const timeColumn = columns.time ?? 'timestamp'
  const builder = new AnnotationTableBuilder()
  const badTimes = new IssueList('INVALID_VALUE', 'times must be numbers (seconds) or ISO 8601 dates')
  let timeSeen = false
  const summary = await readTable(
    path,
    required,
    timeColumn,
    options,
    ([item, annotator, label], timeValue, row) => {
      if (timeValue !== undefined) timeSeen = true
      const seconds = timeValue === undefined ? Number.NaN : secondsOf(timeValue)
      if (seconds === undefined) {
        badTimes.add(
          { file: path, row, column: timeColumn },
          `cannot read ${JSON.stringify(textOf(timeValue))} as a time`,
        )
        return
      }
      builder.add(item, annotator, label, seconds, row)
    },
  )
  badTimes.throwIfAny()
  if (columns.time !== undefined && !timeSeen && builder.answerCount > 0) {
    throw PoisonguardError.at(
      'MISSING_COLUMN',
      { file: path },
      `no column "${columns.time}" (--time-column)`,
      COLUMN_HINT,
    )
  }
  if (builder.answerCount === 0) {
    throw PoisonguardError.at(
      'EMPTY_FILE',
      { file: path },
      'there are no answers',
      'add one record per answer: item, annotator, label',
    )
  }
  const { table, warnings } = builder.build()
  return { table, warnings, file: { path, format: summary.format, sha256: summary.sha256 } }
}

/** Reads gold labels (item, label) with the same column names and aligns them with the table. */
export async function loadGoldLabels(
  path: string,
  table: AnnotationTable,
  options: LoadAnnotationsOptions = {},
): Promise<{ table: AnnotationTable; gold: Int32Array; warnings: CrowdInputWarning[] }> {
  const columns = options.columns ?? {}
  const required = [
    { name: columns.item ?? 'item', flag: '--item-column' },
    { name: columns.label ?? 'label', flag: '--label-column' },
  ]
  const gold = new Map<string, string>()
  const conflicts = new IssueList('INVALID_VALUE', 'give each gold item one label')
  await readTable(path, required, undefined, { ...options, format: undefined }, ([item, label], _, row) => {
    const known = gold.get(item)
    if (known !== undefined && known !== label)
      conflicts.add({ file: path, row }, `item ${item} is gold "${known}" earlier and "${label}" here`)
    gold.set(item, known ?? label)
  })
  conflicts.throwIfAny()
  return alignGold(table, gold, `gold file ${path}`)
}
