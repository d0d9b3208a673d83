import type { Dataset } from '../../data/dataset.js'
import { PoisonguardError } from '../../errors.js'
import { buildDataset } from '../columns.js'
import { encodeCsvField } from '../csv-field.js'
import { CsvTokenizer } from '../csv-parser.js'
import { type CsvRecord, fieldText, QUOTED } from '../csv-record.js'
import { CsvRecordRows } from '../csv-record-rows.js'
import { CsvDatasetReader } from '../csv-table.js'
import { readTextChunks } from '../files.js'
import { isFormulaCell, neutraliseFormulaCell } from '../formula-cells.js'
import { PieceWriter, REREAD_MAX_RECORD_BYTES, rewriteInput } from '../piece-writer.js'
import {
  categoryOf,
  createNumberFormatter,
  labelOf,
  type WrittenColumn,
  writeTableLines,
} from '../table-write.js'
import type {
  CellWriteOptions,
  DatasetFormatAdapter,
  FormatLoadOptions,
  RawReadOptions,
  RawReadSummary,
  RawRecord,
  Relabel,
} from './types.js'

/** Loads a CSV file in one streaming pass: numbers go straight from bytes into a float32 buffer. */
async function loadCsv(path: string, options: FormatLoadOptions): Promise<Dataset> {
  const reader = new CsvDatasetReader(path, options)
  const tokenizer = new CsvTokenizer(path, options.maxLineBytes, (record) => reader.read(record), reader)
  const digest = await readTextChunks(path, (chunk) => tokenizer.push(chunk), options.onProgress)
  tokenizer.finish()
  reader.shapeIssues.throwIfAny()
  if (!reader.plan) throw PoisonguardError.at('EMPTY_FILE', { file: path }, 'the file has no header row')
  const lines = reader.finish()
  return buildDataset({
    origin: { path, format: 'csv', sha256: digest.sha256, byteCount: digest.byteCount },
    plan: reader.plan,
    table: reader.table,
    roles: reader.roles,
    lines,
  })
}

/**
 * Streams a CSV file's records as byte ranges, with the same checks and errors as the CSV adapter's raw reader
 * below, which builds on it and turns every cell into a string. Provenance reads records by the million and copies
 * most cells from these bytes into the record body without ever making that string.
 */
export async function readCsvRecordBytes(
  path: string,
  onRecord: (record: CsvRecord, columns: readonly string[], row: number) => void,
  options: RawReadOptions,
): Promise<RawReadSummary> {
  const rows = new CsvRecordRows(path, onRecord)
  const tokenizer = new CsvTokenizer(path, options.maxLineBytes, (record) => rows.read(record))
  const digest = await readTextChunks(path, (chunk) => tokenizer.push(chunk), options.onProgress)
  tokenizer.finish()
  rows.shape.throwIfAny()
  if (!rows.columns) throw PoisonguardError.at('EMPTY_FILE', { file: path }, 'the file has no header row')
  return { sha256: digest.sha256, byteCount: digest.byteCount, recordCount: rows.row }
}

/** Every field of every record as text, header excluded. */
async function readCsvRecords(
  path: string,
  onRecord: (record: RawRecord) => void,
  options: RawReadOptions,
): Promise<RawReadSummary> {
  let values: string[] = []
  return readCsvRecordBytes(
    path,
    (record, columns, row) => {
      if (values.length !== columns.length) values = new Array<string>(columns.length)
      for (let field = 0; field < values.length; field++) values[field] = fieldText(record, field)
      onRecord({ columns, values, row, line: record.line })
    },
    options,
  )
}

/**
 * Streams the input again and writes the header plus the kept records byte for byte; relabelled records, and with
 * `excelSafe` records holding a formula cell, are rebuilt field by field.
 */
async function writeFilteredCsv(
  dataset: Dataset,
  keep: Uint8Array,
  tempPath: string,
  relabel?: Relabel,
  cells: CellWriteOptions = {},
) {
  let row = -1
  let labelField = -1
  const writer = await PieceWriter.open(tempPath)
  const tokenizer = new CsvTokenizer(dataset.origin.path, REREAD_MAX_RECORD_BYTES, (record) => {
    if (row < 0) {
      const names = Array.from({ length: record.fieldCount }, (_, field) => fieldText(record, field))
      labelField = dataset.labels ? names.indexOf(dataset.labels.name) : -1
      writer.add(rebuiltRecord(record, -1, undefined, cells.excelSafe))
    } else if (row < keep.length && keep[row] === 1) {
      const label = labelField < 0 ? undefined : relabel?.get(row)
      writer.add(rebuiltRecord(record, labelField, label, cells.excelSafe))
    }
    row++
  })
  await rewriteInput(dataset, tokenizer, writer, () => row)
}

const FORMULA_START_BYTES = new Set(['=', '+', '-', '@', '\t', '\r'].map((char) => char.charCodeAt(0)))

/** Whether a field is a formula cell; its first byte rules out nearly every field without decoding it. */
function formulaField(record: CsvRecord, field: number): boolean {
  const first = record.fieldStarts[field] + (record.fieldFlags[field] & QUOTED ? 1 : 0)
  return FORMULA_START_BYTES.has(record.bytes[first]) && isFormulaCell(fieldText(record, field))
}

/** The record's bytes as read, unless its label changes or, with `excelSafe`, a field would run as a formula. */
function rebuiltRecord(
  record: CsvRecord,
  labelField: number,
  label: string | undefined,
  excelSafe?: boolean,
) {
  const { bytes } = record
  const relabelled = labelField >= 0 && label !== undefined
  if (!relabelled && !excelSafe) return bytes.subarray(record.start, record.end)
  const changed: number[] = []
  for (let field = 0; field < record.fieldCount; field++) {
    if ((relabelled && field === labelField) || (excelSafe && formulaField(record, field)))
      changed.push(field)
  }
  if (changed.length === 0) return bytes.subarray(record.start, record.end)
  const pieces: Buffer[] = []
  let position = record.start
  for (const field of changed) {
    const text = relabelled && field === labelField ? label! : fieldText(record, field)
    pieces.push(bytes.subarray(position, record.fieldStarts[field]))
    pieces.push(Buffer.from(encodeCsvField(excelSafe ? neutraliseFormulaCell(text) : text)))
    position = record.fieldEnds[field]
  }
  pieces.push(bytes.subarray(position, record.end))
  return Buffer.concat(pieces)
}

function* csvLines(
  dataset: Dataset,
  columns: readonly WrittenColumn[],
  cells: CellWriteOptions,
): Generator<string> {
  const encode = cells.excelSafe
    ? (text: string) => encodeCsvField(neutraliseFormulaCell(text))
    : encodeCsvField
  const header = ['id']
  if (dataset.labels) header.push('label')
  if (dataset.texts) header.push('text')
  if (dataset.sources) header.push('source')
  yield [...header, ...columns.map(({ name }) => name)].map(encode).join(',')
  const format = createNumberFormatter()
  const cols = dataset.features?.cols ?? 0
  const data = dataset.features?.data
  for (let row = 0; row < dataset.rowCount; row++) {
    const fields = [encode(dataset.ids[row])]
    if (dataset.labels) fields.push(encode(labelOf(dataset, row)))
    if (dataset.texts) fields.push(encode(dataset.texts[row]))
    if (dataset.sources) fields.push(encode(dataset.sources[row]))
    for (const column of columns)
      fields.push(
        column.kind === 'number'
          ? format(data![row * cols + column.col])
          : encode(categoryOf(dataset, column, row)),
      )
    yield fields.join(',')
  }
}

/** Comma-separated values with a header row (RFC 4180 quoting). */
export const csvFormat = {
  extensions: ['.csv'],
  load: loadCsv,
  readRawRecords: readCsvRecords,
  writeFiltered: writeFilteredCsv,
  write: (dataset: Dataset, tempPath: string, cells: CellWriteOptions = {}) =>
    writeTableLines(dataset, tempPath, (rows, columns) => csvLines(rows, columns, cells)),
  writtenIds: (dataset: Dataset, cells: CellWriteOptions = {}) =>
    cells.excelSafe ? dataset.ids.map(neutraliseFormulaCell) : [...dataset.ids],
} satisfies DatasetFormatAdapter
