import {
  asyncBufferFromFile,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
} from 'hyparquet'
import { parquetWriteFile } from 'hyparquet-writer'
import type { Dataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { buildDataset, type ColumnOptions } from './columns.js'
import { statOrThrow } from './files.js'
import { hashFile } from './hash.js'
import { tableFromObjects } from './objects.js'
import { changedSinceLoad } from './output.js'

interface ParquetContents {
  metadata: FileMetaData
  names: string[]
  records: Record<string, unknown>[]
}

async function readParquet(path: string): Promise<ParquetContents> {
  const file = await asyncBufferFromFile(path)
  let metadata: FileMetaData
  try {
    metadata = await parquetMetadataAsync(file)
  } catch (error) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: path },
      `not a readable Parquet file (${(error as Error).message})`,
      'check that the file is Parquet, or pass the right --format',
    )
  }
  const names = parquetSchema(metadata).children.map((child) => child.element.name)
  const records = (await parquetReadObjects({ file, metadata })) as Record<string, unknown>[]
  return { metadata, names, records }
}

/** Loads a Parquet file with hyparquet; columns follow the same conventions as CSV. */
export async function loadParquet(
  path: string,
  options: ColumnOptions & { onProgress?: (fractionDone: number) => void },
): Promise<Dataset> {
  const [stats, sha256, contents] = await Promise.all([statOrThrow(path), hashFile(path), readParquet(path)])
  options.onProgress?.(0.9)
  if (contents.records.length === 0) {
    throw PoisonguardError.at(
      'EMPTY_FILE',
      { file: path },
      'the Parquet file has no rows',
      'add at least one row',
    )
  }
  const { plan, table, roles } = tableFromObjects(contents, options, path)
  return buildDataset({
    origin: { path, format: 'parquet', sha256, byteCount: stats.size },
    plan,
    table,
    roles,
  })
}

/** Rewrites the kept rows with the input's own schema into `tempPath`; relabelled cells keep the column's type. */
export async function writeFilteredParquet(
  dataset: Dataset,
  keep: Uint8Array,
  tempPath: string,
  relabel?: ReadonlyMap<number, string>,
): Promise<void> {
  const [sha256, { metadata, records }] = await Promise.all([
    hashFile(dataset.origin.path),
    readParquet(dataset.origin.path),
  ])
  if (sha256 !== dataset.origin.sha256 || records.length !== dataset.rowCount) throw changedSinceLoad(dataset)
  const schema = metadata.schema
  if (schema.slice(1).some((element) => element.num_children)) {
    throw PoisonguardError.at(
      'OUTPUT_ERROR',
      { file: dataset.origin.path },
      'Parquet files with nested columns cannot be rewritten yet',
      'export the kept ids and filter the file with another tool',
    )
  }
  const kept: Record<string, unknown>[] = []
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
