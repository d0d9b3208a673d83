import { readFile } from 'node:fs/promises'
import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { statOrThrow } from './files.js'

const MAGIC = '\x93NUMPY'
const SAVE_HINT =
  'save a C-ordered 2-D float32 array: np.save(path, np.ascontiguousarray(x, dtype=np.float32))'

interface NpyHeader {
  descr: string
  fortranOrder: boolean
  shape: number[]
  dataOffset: number
}

function fail(
  file: string,
  message: string,
  code: 'PARSE_ERROR' | 'INVALID_VALUE' | 'SHAPE_MISMATCH' = 'PARSE_ERROR',
) {
  return PoisonguardError.at(code, { file }, message, SAVE_HINT)
}

function readHeader(bytes: Buffer, file: string): NpyHeader {
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== MAGIC)
    throw fail(file, 'not a NumPy .npy file (bad magic bytes)')
  const major = bytes[6]
  if (major < 1 || major > 3) throw fail(file, `unsupported .npy format version ${major}.${bytes[7]}`)
  const lengthBytes = major === 1 ? 2 : 4
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8)
  const dataOffset = 8 + lengthBytes + headerLength
  if (dataOffset > bytes.length) throw fail(file, 'the .npy header is cut off')
  const text = bytes.toString(major === 3 ? 'utf8' : 'latin1', 8 + lengthBytes, dataOffset)
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1]
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1]
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1]
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw fail(file, `cannot read the .npy header ${JSON.stringify(text.trim())}`)
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(Number)
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset }
}

/** Parses a little-endian float32 or float64 2-D `.npy` array into a float32 row-major matrix. */
export function parseNpy(bytes: Buffer, file: string): FeatureMatrix {
  const header = readHeader(bytes, file)
  const itemBytes = header.descr === '<f4' ? 4 : header.descr === '<f8' ? 8 : 0
  if (itemBytes === 0)
    throw fail(
      file,
      `dtype ${header.descr} is not supported; expected float32 ('<f4') or float64 ('<f8')`,
      'INVALID_VALUE',
    )
  if (header.fortranOrder) throw fail(file, 'the array is in Fortran (column-major) order', 'INVALID_VALUE')
  if (header.shape.length !== 2)
    throw fail(
      file,
      `expected a 2-D array (rows, columns), found shape (${header.shape.join(', ')})`,
      'SHAPE_MISMATCH',
    )
  const [rows, cols] = header.shape
  if (!header.shape.every((side) => Number.isSafeInteger(side) && side > 0))
    throw fail(
      file,
      `the array has shape (${rows}, ${cols}); embeddings need at least one row and one column`,
      'SHAPE_MISMATCH',
    )
  const byteCount = rows * cols * itemBytes
  if (bytes.length - header.dataOffset !== byteCount) {
    throw fail(
      file,
      `shape (${rows}, ${cols}) needs ${byteCount} data bytes, the file has ${bytes.length - header.dataOffset}`,
    )
  }
  // Copy into a fresh, aligned buffer: the file buffer may start at any offset.
  const raw = bytes.buffer.slice(
    bytes.byteOffset + header.dataOffset,
    bytes.byteOffset + header.dataOffset + byteCount,
  )
  const data = itemBytes === 4 ? new Float32Array(raw) : Float32Array.from(new Float64Array(raw))
  const bad = data.findIndex((value) => !Number.isFinite(value))
  if (bad >= 0) {
    throw PoisonguardError.at(
      'INVALID_VALUE',
      { file, row: Math.floor(bad / cols) + 1 },
      `embedding value ${data[bad]} at column ${(bad % cols) + 1} is not finite${itemBytes === 8 ? ' as float32' : ''}`,
      'replace NaN/Infinity values before saving the embeddings',
    )
  }
  return { data, rows, cols }
}

/** Reads a 2-D float `.npy` file into a float32 row-major matrix. */
export async function readNpyFile(path: string): Promise<FeatureMatrix> {
  await statOrThrow(path)
  return parseNpy(await readFile(path), path)
}

/** Reads an embeddings `.npy` file that must have one row per dataset record. */
export async function loadEmbeddings(path: string, expectedRows: number): Promise<FeatureMatrix> {
  const matrix = await readNpyFile(path)
  if (matrix.rows !== expectedRows) {
    throw PoisonguardError.at(
      'SHAPE_MISMATCH',
      { file: path },
      `the embeddings have ${matrix.rows} rows but the dataset has ${expectedRows} records`,
      'compute the embeddings from the same file, one row per record in input order',
    )
  }
  return matrix
}
