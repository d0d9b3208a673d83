import { createHash } from 'node:crypto'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'

/*
 * One binary layout for everything a scan job moves through the store: a JSON header naming typed arrays, then their
 * bytes, each 8-byte aligned so it is read back as a view without a copy. Bytes are little-endian, as on every
 * platform Node runs on.
 */

type Typed = Float32Array | Float64Array | Int32Array
const constructors = { Float32Array, Float64Array, Int32Array } as const
type TypeName = keyof typeof constructors

interface Header {
  readonly meta: unknown
  readonly arrays: ReadonlyArray<{ name: string; type: TypeName; offset: number; length: number }>
}

/** A JSON-safe `meta` and named typed arrays, as one payload. */
export interface Packed {
  readonly meta: unknown
  readonly arrays: Readonly<Record<string, Typed>>
}

const align = (offset: number) => Math.ceil(offset / 8) * 8

/** Packs `meta` and the arrays into one buffer. */
export function pack(packed: Packed): Buffer {
  let offset = 0
  const entries = Object.entries(packed.arrays).map(([name, array]) => {
    const entry = { name, type: array.constructor.name as TypeName, offset, length: array.length }
    offset = align(offset + array.byteLength)
    return entry
  })
  const header = Buffer.from(JSON.stringify({ meta: packed.meta, arrays: entries } satisfies Header))
  const start = align(4 + header.length)
  const out = Buffer.alloc(start + offset)
  out.writeUInt32LE(header.length, 0)
  header.copy(out, 4)
  Object.values(packed.arrays).forEach((array, index) => {
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), start + entries[index].offset)
  })
  return out
}

/**
 * Where `unpack` puts its copy: `shared` memory is what a worker thread reads without a copy of its own, so arrays
 * bound for one are copied once here rather than twice.
 */
export type UnpackMemory = 'ordinary' | 'shared'

/** Reads back what `pack` wrote; the arrays view one aligned copy of the bytes. */
export function unpack(bytes: Uint8Array, memory: UnpackMemory = 'ordinary'): Packed {
  try {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const headerLength = view.readUInt32LE(0)
    const header = JSON.parse(view.subarray(4, 4 + headerLength).toString('utf8')) as Header
    const start = align(4 + headerLength)
    const length = bytes.byteLength - start
    const body = new Uint8Array(memory === 'shared' ? new SharedArrayBuffer(length) : new ArrayBuffer(length))
    body.set(bytes.subarray(start))
    const arrays: Record<string, Typed> = {}
    for (const { name, type, offset, length } of header.arrays) {
      const View = constructors[type] as new (
        buffer: ArrayBufferLike,
        offset: number,
        length: number,
      ) => Typed
      arrays[name] = new View(body.buffer, offset, length)
    }
    return { meta: header.meta, arrays }
  } catch (error) {
    throw new PoisonguardError(
      'PARSE_ERROR',
      `a stored scan payload is damaged: ${(error as Error).message}`,
      {
        hint: 'run the scan again; its blobs are written afresh',
        cause: error,
      },
    )
  }
}

/** The SHA-256 of bytes, in hex: the name of a content-addressed blob. */
export function digestOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A dense or sparse matrix as a payload. */
export function packMatrix(matrix: FeatureMatrix | SparseMatrix): Buffer {
  const shape = { rows: matrix.rows, cols: matrix.cols }
  return 'indptr' in matrix
    ? pack({
        meta: { ...shape, sparse: true },
        arrays: { indptr: matrix.indptr, indices: matrix.indices, values: matrix.values },
      })
    : pack({ meta: { ...shape, sparse: false }, arrays: { data: matrix.data } })
}

/** The matrix `packMatrix` wrote. */
export function unpackMatrix(
  bytes: Uint8Array,
  memory: UnpackMemory = 'ordinary',
): FeatureMatrix | SparseMatrix {
  const { meta, arrays } = unpack(bytes, memory)
  const { rows, cols, sparse } = meta as { rows: number; cols: number; sparse: boolean }
  if (sparse)
    return {
      rows,
      cols,
      indptr: arrays.indptr as Int32Array,
      indices: arrays.indices as Int32Array,
      values: arrays.values as Float32Array,
    }
  return { rows, cols, data: arrays.data as Float32Array }
}
