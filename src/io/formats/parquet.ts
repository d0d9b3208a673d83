import type { AsyncBuffer, FileMetaData } from 'hyparquet'
import type { Dataset } from '../../data/dataset.js'
import { PoisonguardError } from '../../errors.js'
import { buildDataset } from '../columns.js'
import { statOrThrow } from '../files.js'
import { hashFile } from '../hash.js'
import { ObjectTableReader } from '../objects.js'
import { changedSinceLoad } from '../output.js'
import { categoryOf, checkedColumns, labelOf } from '../table-write.js'
import { checkParquetFrame, checkParquetMetadata, decodeParquet } from './parquet-checks.js'
import { decodeRowGroup } from './parquet-decoder.js'
import type { DatasetFormatAdapter, FormatLoadOptions, RawReadSummary, RawRecord, Relabel } from './types.js'

type Row = Record<string, unknown>

interface ParquetFile {
  readonly path: string
  readonly file: AsyncBuffer
  readonly metadata: FileMetaData
  /** Top-level column names in schema order. */
  readonly columns: string[]
}

/*
 * hyparquet and hyparquet-writer are imported when a Parquet file is read or written: every scan of a CSV file
 * would otherwise compile them (about 0.08 CPU s) for nothing.
 */
async function openParquet(path: string): Promise<ParquetFile> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetSchema } = await import('hyparquet')
  const file = await asyncBufferFromFile(path)
  await checkParquetFrame(file, path)
  const metadata = await decodeParquet(path, () => parquetMetadataAsync(file))
  checkParquetMetadata(metadata, file.byteLength, path)
  const schema = await decodeParquet(path, () => parquetSchema(metadata))
  const columns = schema.children.map((child) => child.element.name)
  return { path, file, metadata, columns }
}

/** The rows of a Parquet file, one row group at a time, so memory is bounded by the largest group. */
async function* readRowGroups({ path, metadata }: ParquetFile): AsyncGenerator<Row[]> {
  let rowStart = 0
  for (const [index, group] of metadata.row_groups.entries()) {
    const rowEnd = rowStart + Number(group.num_rows)
    yield await decodeParquet(path, () => decodeRowGroup(path, metadata, index, rowStart, rowEnd))
    rowStart = rowEnd
  }
}

async function readAllRows(parquet: ParquetFile): Promise<Row[]> {
  const rows: Row[] = []
  for await (const group of readRowGroups(parquet)) for (const row of group) rows.push(row)
  return rows
}

/**
 * Loads a Parquet file with hyparquet, one row group at a time into the typed columns the CSV reader fills, so
 * memory holds the columns plus one decoded row group; columns follow the same conventions as CSV.
 */
async function loadParquet(path: string, options: FormatLoadOptions): Promise<Dataset> {
  const read = async () => {
    const parquet = await openParquet(path)
    const reader = new ObjectTableReader(options, path, parquet.columns)
    for await (const group of readRowGroups(parquet)) for (const row of group) reader.add(row)
    return reader
  }
  const [stats, sha256, reader] = await Promise.all([statOrThrow(path), hashFile(path), read()])
  options.onProgress?.(0.9)
  if (reader.rowCount === 0) {
    throw PoisonguardError.at(
      'EMPTY_FILE',
      { file: path },
      'the Parquet file has no rows',
      'add at least one row',
    )
  }
  return buildDataset({
    origin: { path, format: 'parquet', sha256, byteCount: stats.size },
    ...reader.finish(),
  })
}

/** Every row with its typed values, in schema column order. */
async function readParquetRecords(
  path: string,
  onRecord: (record: RawRecord) => void,
): Promise<RawReadSummary> {
  const parquet = await openParquet(path)
  const sha256 = await hashFile(path)
  const { columns } = parquet
  const values = new Array<unknown>(columns.length)
  let row = 0
  for await (const group of readRowGroups(parquet)) {
    for (const object of group) {
      row++
      for (let column = 0; column < columns.length; column++) values[column] = object[columns[column]]
      onRecord({ columns, values, row })
    }
  }
  return { sha256, byteCount: parquet.file.byteLength, recordCount: row }
}

/** Rewrites the kept rows with the input's own schema into `tempPath`; relabelled cells keep the column's type. */
async function writeFilteredParquet(dataset: Dataset, keep: Uint8Array, tempPath: string, relabel?: Relabel) {
  const path = dataset.origin.path
  const [sha256, parquet] = await Promise.all([hashFile(path), openParquet(path)])
  const records = await readAllRows(parquet)
  if (sha256 !== dataset.origin.sha256 || records.length !== dataset.rowCount) throw changedSinceLoad(dataset)
  const schema = parquet.metadata.schema
  if (schema.slice(1).some((element) => element.num_children)) {
    throw PoisonguardError.at(
      'OUTPUT_ERROR',
      { file: path },
      'Parquet files with nested columns cannot be rewritten yet',
      'export the kept ids and filter the file with another tool',
    )
  }
  const kept: Row[] = []
  for (let row = 0; row < records.length; row++) {
    if (keep[row] !== 1) continue
    const newLabel = relabel?.get(row)
    const record = records[row]
    if (newLabel === undefined || !dataset.labels) kept.push(record)
    else {
      const element = schema.find((candidate) => candidate.name === dataset.labels!.name)!
      kept.push({ ...record, [element.name]: convertLabel(newLabel, element.type, row) })
    }
  }
  const columnData = schema.slice(1).map((element) => ({
    name: element.name,
    data: kept.map((record) => record[element.name]),
  }))
  const { parquetWriteFile } = await import('hyparquet-writer')
  parquetWriteFile({ filename: tempPath, columnData: columnData as never, schema })
}

function convertLabel(label: string, type: string | undefined, row: number): unknown {
  if (type === undefined || type === 'BYTE_ARRAY' || type === 'FIXED_LEN_BYTE_ARRAY') return label
  if (type === 'BOOLEAN') return label === 'true'
  const value = Number(label)
  if (
    label.trim() === '' ||
    !Number.isFinite(value) ||
    ((type === 'INT32' || type === 'INT64') && !Number.isInteger(value))
  ) {
    throw PoisonguardError.at(
      'INVALID_ARGUMENT',
      { row: row + 1 },
      `new label ${JSON.stringify(label)} does not fit the ${type} label column`,
      'relabel with a value of the column type',
    )
  }
  return type === 'INT64' ? BigInt(value) : value
}

/** Role columns as strings, features as float32, in the conventional column order. */
async function writeParquet(dataset: Dataset, path: string): Promise<void> {
  const columns = checkedColumns(dataset)
  const rows = Array.from({ length: dataset.rowCount }, (_, row) => row)
  const columnData: { name: string; data: unknown[]; type: 'STRING' | 'FLOAT' }[] = [
    { name: 'id', data: [...dataset.ids], type: 'STRING' },
  ]
  if (dataset.labels)
    columnData.push({ name: 'label', data: rows.map((row) => labelOf(dataset, row) || null), type: 'STRING' })
  if (dataset.texts) columnData.push({ name: 'text', data: [...dataset.texts], type: 'STRING' })
  if (dataset.sources) columnData.push({ name: 'source', data: [...dataset.sources], type: 'STRING' })
  const features = dataset.features
  for (const column of columns) {
    if (column.kind === 'number') {
      const data = rows.map((row) => features!.data[row * features!.cols + column.col])
      columnData.push({ name: column.name, data, type: 'FLOAT' })
    } else {
      const data = rows.map((row) => categoryOf(dataset, column, row) || null)
      columnData.push({ name: column.name, data, type: 'STRING' })
    }
  }
  const { parquetWriteFile } = await import('hyparquet-writer')
  parquetWriteFile({ filename: path, columnData: columnData as never })
}

/** Apache Parquet, read with hyparquet and written with hyparquet-writer. */
export const parquetFormat = {
  extensions: ['.parquet'],
  load: loadParquet,
  readRawRecords: readParquetRecords,
  writeFiltered: writeFilteredParquet,
  write: writeParquet,
} satisfies DatasetFormatAdapter
