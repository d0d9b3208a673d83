import { describe, expect, it } from 'vitest'
import { isPoisonguardError } from '../errors.js'
import { digestOf, pack, packMatrix, unpack, unpackMatrix } from './codec.js'

describe('scan payload codec', () => {
  it('reads back dense and sparse matrices and named arrays as they were packed', () => {
    const dense = { rows: 2, cols: 3, data: Float32Array.of(1, -2.5, 3, 0, 1e-7, Number.NaN) }
    expect(unpackMatrix(packMatrix(dense))).toEqual(dense)
    const sparse = {
      rows: 2,
      cols: 5,
      indptr: Int32Array.of(0, 1, 3),
      indices: Int32Array.of(4, 0, 2),
      values: Float32Array.of(0.5, 1, -1),
    }
    expect(unpackMatrix(packMatrix(sparse))).toEqual(sparse)
    // An odd-length array before a float64 one: the second must still land on an 8-byte boundary.
    const packed = unpack(
      pack({ meta: { k: 3 }, arrays: { a: Int32Array.of(7), b: Float64Array.of(Math.PI) } }),
    )
    expect(packed.meta).toEqual({ k: 3 })
    expect(packed.arrays.b).toEqual(Float64Array.of(Math.PI))
    expect(packed.arrays.a).toEqual(Int32Array.of(7))
  })

  it('reads a payload into shared memory when asked, with the same values', () => {
    const dense = { rows: 2, cols: 2, data: Float32Array.of(1, -2.5, Number.NaN, 4) }
    const shared = unpackMatrix(packMatrix(dense), 'shared') as typeof dense
    expect(shared.data.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect((unpackMatrix(packMatrix(dense)) as typeof dense).data.buffer).toBeInstanceOf(ArrayBuffer)
    expect(shared).toEqual(dense)
    const { arrays } = unpack(pack({ meta: {}, arrays: { a: Int32Array.of(3, 1, 2) } }), 'shared')
    expect(arrays.a.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect([...arrays.a]).toEqual([3, 1, 2])
  })

  it('names equal content by one digest and refuses a damaged payload with the typed error', () => {
    const bytes = packMatrix({ rows: 1, cols: 2, data: Float32Array.of(1, 2) })
    expect(digestOf(bytes)).toBe(digestOf(Uint8Array.from(bytes)))
    expect(digestOf(bytes)).not.toBe(digestOf(packMatrix({ rows: 1, cols: 2, data: Float32Array.of(1, 3) })))
    let caught: unknown
    try {
      unpack(bytes.subarray(0, 10))
    } catch (error) {
      caught = error
    }
    expect(isPoisonguardError(caught) && caught.code).toBe('PARSE_ERROR')
  })
})
