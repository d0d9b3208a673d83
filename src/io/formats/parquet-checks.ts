import type { AsyncBuffer, FileMetaData } from 'hyparquet'
import { PoisonguardError } from '../../errors.js'

const MAGIC = 'PAR1'
/** Header magic, footer length and footer magic. */
const FRAME_BYTES = 12
/**
 * Most rows a Parquet file may declare per byte of the file. Run-length encoding lets a few bytes stand for many
 * rows, but a damaged footer can claim billions, and the decoder would then loop over all of them.
 */
const MAX_ROWS_PER_BYTE = 4096

/** Refuses a damaged or hostile Parquet file before hyparquet parses it: magic bytes and footer bounds. */
export async function checkParquetFrame(file: AsyncBuffer, path: string): Promise<void> {
  const size = file.byteLength
  if (size < FRAME_BYTES) throw damaged(path, `the file has ${size} bytes, fewer than any Parquet file`)
  const head = Buffer.from(await file.slice(0, 4))
  const tail = Buffer.from(await file.slice(size - 8, size))
  if (head.toString('latin1') !== MAGIC)
    throw damaged(path, 'the file does not start with the magic bytes "PAR1"')
  if (tail.toString('latin1', 4) !== MAGIC)
    throw damaged(path, 'the file does not end with the magic bytes "PAR1"')
  const footerLength = tail.readUInt32LE(0)
  if (footerLength > size - FRAME_BYTES)
    throw damaged(path, `the footer claims ${footerLength} bytes, but the file has ${size}`)
}

/** Checks what the footer claims against the file: row counts and where every column chunk lies. */
export function checkParquetMetadata(metadata: FileMetaData, size: number, path: string): void {
  const fileSize = BigInt(size)
  const count = (value: unknown, what: string): bigint => {
    const number = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value
    if (typeof number !== 'bigint' || number < 0n) throw damaged(path, `${what} is ${String(value)}`)
    return number
  }
  if (!Array.isArray(metadata.row_groups)) throw damaged(path, 'the footer lists no row groups')
  let rowCount = 0n
  for (const group of metadata.row_groups) {
    rowCount += count(group?.num_rows, 'the row count of a row group')
    for (const chunk of Array.isArray(group.columns) ? group.columns : []) {
      const meta = chunk?.meta_data
      if (!meta) continue
      const start = count(meta.dictionary_page_offset ?? meta.data_page_offset, 'a column chunk offset')
      const end = start + count(meta.total_compressed_size, 'a column chunk size')
      if (end > fileSize)
        throw damaged(path, `a column chunk claims bytes ${start}–${end} of a file of ${size}`)
    }
  }
  if (
    rowCount > fileSize * BigInt(MAX_ROWS_PER_BYTE) ||
    rowCount !== count(metadata.num_rows, 'the row count')
  )
    throw damaged(path, `the footer claims ${metadata.num_rows} rows, its row groups ${rowCount}`)
}

/** Runs a call into the Parquet decoder; anything it throws on damaged bytes becomes a PARSE_ERROR. */
export async function decodeParquet<T>(path: string, decode: () => T | Promise<T>): Promise<T> {
  try {
    return await decode()
  } catch (error) {
    if (error instanceof PoisonguardError) throw error
    throw damaged(path, (error as Error)?.message ?? String(error))
  }
}

function damaged(path: string, reason: string): PoisonguardError {
  return PoisonguardError.at(
    'PARSE_ERROR',
    { file: path },
    `not a readable Parquet file (${reason})`,
    'check that the file is Parquet and complete, or pass the right --format',
  )
}
