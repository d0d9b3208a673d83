import type { Dataset } from '../../data/dataset.js'
import { PoisonguardError } from '../../errors.js'
import { buildDataset } from '../columns.js'
import { type CsvRecord, CsvTokenizer, encodeCsvField, fieldText } from '../csv-parser.js'
import { CsvDatasetReader, checkUniqueNames } from '../csv-table.js'
import { readTextChunks } from '../files.js'
import { IssueList } from '../issues.js'
import { PieceWriter, REREAD_MAX_RECORD_BYTES, rewriteInput } from '../piece-writer.js'
import { createNumberFormatter, labelOf, writeTableLines } from '../table-write.js'
import type {
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
  const tokenizer = new CsvTokenizer(path, options.maxLineBytes, (record) => reader.read(record))
  const digest = await readTextChunks(path, (chunk) => tokenizer.push(chunk), options.onProgress)
  tokenizer.finish()
  reader.shapeIssues.throwIfAny()
  if (!reader.plan) throw PoisonguardError.at('EMPTY_FILE', { file: path }, 'the file has no header row')
  return buildDataset({
    origin: { path, format: 'csv', sha256: digest.sha256, byteCount: digest.byteCount },
    plan: reader.plan,
    table: reader.table,
    roles: reader.roles,
    lines: Int32Array.from(reader.lines),
  })
}

/** Every field of every record as text, header excluded. */
async function readCsvRecords(
  path: string,
  onRecord: (record: RawRecord) => void,
  options: RawReadOptions,
): Promise<RawReadSummary> {
  let columns: string[] | undefined
  let values: string[] = []
  let row = 0
  const shape = new IssueList('PARSE_ERROR', 'every record needs as many fields as the header')
  const tokenizer = new CsvTokenizer(path, options.maxLineBytes, (record: CsvRecord) => {
    if (!columns) {
      columns = Array.from({ length: record.fieldCount }, (_, field) => fieldText(record, field))
      checkUniqueNames(columns, path)
      values = new Array<string>(columns.length)
      return
    }
    row++
    if (record.fieldCount !== columns.length) {
      shape.add(
        { file: path, line: record.line, row },
        `line ${record.line} has ${record.fieldCount} field${record.fieldCount === 1 ? '' : 's'}, header has ${columns.length}`,
      )
      if (shape.full) shape.throwIfAny()
      return
    }
    for (let field = 0; field < values.length; field++) values[field] = fieldText(record, field)
    onRecord({ columns, values, row, line: record.line })
  })
  const digest = await readTextChunks(path, (chunk) => tokenizer.push(chunk), options.onProgress)
  tokenizer.finish()
  shape.throwIfAny()
  if (!columns) throw PoisonguardError.at('EMPTY_FILE', { file: path }, 'the file has no header row')
  return { sha256: digest.sha256, byteCount: digest.byteCount, recordCount: row }
}

/** Streams the input again and writes the header plus the kept records byte for byte (relabelled ones rebuilt). */
async function writeFilteredCsv(dataset: Dataset, keep: Uint8Array, tempPath: string, relabel?: Relabel) {
  let row = -1
  let labelField = -1
  const writer = await PieceWriter.open(tempPath)
  const tokenizer = new CsvTokenizer(dataset.origin.path, REREAD_MAX_RECORD_BYTES, (record) => {
    if (row < 0) {
      const names = Array.from({ length: record.fieldCount }, (_, field) => fieldText(record, field))
      labelField = dataset.labels ? names.indexOf(dataset.labels.name) : -1
      writer.add(record.bytes.subarray(record.start, record.end))
    } else if (row < keep.length && keep[row] === 1) {
      const label = relabel?.get(row)
      writer.add(
        label === undefined || labelField < 0 ? rawRecord(record) : relabelRecord(record, labelField, label),
      )
    }
    row++
  })
  await rewriteInput(dataset, tokenizer, writer, () => row)
}

function rawRecord(record: CsvRecord): Buffer {
  return record.bytes.subarray(record.start, record.end)
}

function relabelRecord(record: CsvRecord, field: number, label: string): Buffer {
  const { bytes } = record
  return Buffer.concat([
    bytes.subarray(record.start, record.fieldStarts[field]),
    Buffer.from(encodeCsvField(label)),
    bytes.subarray(record.fieldEnds[field], record.end),
  ])
}

function* csvLines(dataset: Dataset): Generator<string> {
  const header = ['id']
  if (dataset.labels) header.push('label')
  if (dataset.texts) header.push('text')
  if (dataset.sources) header.push('source')
  yield [...header, ...dataset.featureNames].map(encodeCsvField).join(',')
  const format = createNumberFormatter()
  const cols = dataset.features?.cols ?? 0
  const data = dataset.features?.data
  for (let row = 0; row < dataset.rowCount; row++) {
    const cells = [encodeCsvField(dataset.ids[row])]
    if (dataset.labels) cells.push(encodeCsvField(labelOf(dataset, row)))
    if (dataset.texts) cells.push(encodeCsvField(dataset.texts[row]))
    if (dataset.sources) cells.push(encodeCsvField(dataset.sources[row]))
    for (let col = 0; col < cols; col++) cells.push(format(data![row * cols + col]))
    yield cells.join(',')
  }
}

/** Comma-separated values with a header row (RFC 4180 quoting). */
export const csvFormat = {
  extensions: ['.csv'],
  load: loadCsv,
  readRawRecords: readCsvRecords,
  writeFiltered: writeFilteredCsv,
  write: (dataset: Dataset, tempPath: string) => writeTableLines(dataset, tempPath, csvLines),
} satisfies DatasetFormatAdapter
