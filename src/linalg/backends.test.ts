import { describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../data/matrix.js'
import { createRng } from '../util/rng.js'
import type { LinalgBackend } from './backend.js'
import { createDefaultBackend, createDeferredDefaultBackend } from './default-backend.js'
import { createOnnxBackend } from './onnx/index.js'
import { ProtoWriter } from './onnx/protobuf.js'
import { createPortableBackend } from './portable.js'

function randomMatrix(rows: number, cols: number, seed: number): FeatureMatrix {
  const rng = createRng(seed)
  return { data: Float32Array.from({ length: rows * cols }, () => rng.normal()), rows, cols }
}

function referenceProduct(a: FeatureMatrix, b: FeatureMatrix): Float64Array {
  const out = new Float64Array(a.rows * b.cols)
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let sum = 0
      for (let p = 0; p < a.cols; p++) sum += a.data[i * a.cols + p] * b.data[p * b.cols + j]
      out[i * b.cols + j] = sum
    }
  }
  return out
}

describe('protobuf writer', () => {
  it('encodes varints, negative int64, floats and nested messages as the wire format specifies', () => {
    expect(Array.from(new ProtoWriter().int(1, 300).finish())).toEqual([0x08, 0xac, 0x02])
    const negative = Array.from(new ProtoWriter().int(3, -1).finish())
    expect(negative).toEqual([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    expect(Array.from(new ProtoWriter().float(2, 1).finish())).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f])
    const nested = new ProtoWriter().message(7, new ProtoWriter().string(1, 'ab')).finish()
    expect(Array.from(nested)).toEqual([0x3a, 0x04, 0x0a, 0x02, 0x61, 0x62])
    expect(Array.from(new ProtoWriter().packedInts(1, [1, 150]).finish())).toEqual([
      0x0a, 0x03, 0x01, 0x96, 0x01,
    ])
  })
})

const backends: [string, () => Promise<LinalgBackend>][] = [
  ['portable', async () => createPortableBackend()],
  ['onnx', () => createOnnxBackend({ threads: 1 })],
]

describe.each(backends)('%s backend matmul', (_name, create) => {
  it('multiplies rectangular matrices like the textbook loop', async () => {
    const backend = await create()
    try {
      for (const [m, k, n] of [
        [1, 1, 1],
        [7, 300, 5],
        [70, 33, 530],
      ]) {
        const a = randomMatrix(m, k, m)
        const b = randomMatrix(k, n, n)
        const product = await backend.matmul(a, b)
        expect([product.rows, product.cols]).toEqual([m, n])
        const expected = referenceProduct(a, b)
        for (let i = 0; i < expected.length; i++) {
          expect(Math.abs(product.data[i] - expected[i])).toBeLessThan(1e-4 * Math.sqrt(k))
        }
      }
    } finally {
      await backend.dispose()
    }
  })

  it('returns zeros for an empty inner dimension and rejects mismatched shapes', async () => {
    const backend = await create()
    try {
      const product = await backend.matmul(randomMatrix(3, 0, 1), randomMatrix(0, 2, 1))
      expect(Array.from(product.data)).toEqual([0, 0, 0, 0, 0, 0])
      await expect(backend.matmul(randomMatrix(3, 4, 1), randomMatrix(5, 2, 1))).rejects.toMatchObject({
        code: 'SHAPE_MISMATCH',
      })
    } finally {
      await backend.dispose()
    }
  })
})

describe.each(backends)('%s backend on shared memory', (_name, create) => {
  it('searches and multiplies matrices held in shared memory as it does ordinary ones', async () => {
    const inShared = (matrix: FeatureMatrix): FeatureMatrix => {
      const data = new Float32Array(new SharedArrayBuffer(matrix.data.byteLength))
      data.set(matrix.data)
      return { ...matrix, data }
    }
    const backend = await create()
    try {
      // 300 columns take the ONNX backend's self-join; 20 its one-sided search.
      for (const [rows, cols] of [
        [60, 20],
        [40, 300],
      ]) {
        const plain = randomMatrix(rows, cols, cols)
        const shared = inShared(plain)
        const expected = await backend.knn(plain, plain, 5, { metric: 'euclidean', excludeSelf: true })
        const graph = await backend.knn(shared, shared, 5, { metric: 'euclidean', excludeSelf: true })
        expect(graph.indices).toEqual(expected.indices)
        expect(graph.distances).toEqual(expected.distances)
      }
      const a = randomMatrix(7, 30, 1)
      const b = randomMatrix(30, 5, 2)
      expect((await backend.matmul(inShared(a), inShared(b))).data).toEqual((await backend.matmul(a, b)).data)
    } finally {
      await backend.dispose()
    }
  })
})

describe('backend lifecycle', () => {
  it('the ONNX backend refuses work after dispose', async () => {
    const backend = await createOnnxBackend()
    await backend.dispose()
    const matrix = randomMatrix(4, 2, 1)
    await expect(backend.knn(matrix, matrix, 1, { metric: 'euclidean' })).rejects.toThrow(/disposed/)
    await expect(backend.matmul(matrix, randomMatrix(2, 2, 1))).rejects.toThrow(/disposed/)
  })

  it('the deferred default backend opens its sessions again when used after dispose', async () => {
    const backend = createDeferredDefaultBackend()
    const a = randomMatrix(6, 3, 1)
    const b = randomMatrix(3, 2, 2)
    try {
      const before = (await backend.matmul(a, b)).data
      await backend.dispose()
      expect((await backend.matmul(a, b)).data).toEqual(before)
      expect((await backend.knn(a, a, 1, { metric: 'euclidean' })).indices).toEqual(
        Int32Array.of(0, 1, 2, 3, 4, 5),
      )
    } finally {
      await backend.dispose()
    }
  })

  it('the deferred default backend lets a search under way run to its end when disposed', async () => {
    const backend = createDeferredDefaultBackend()
    const base = randomMatrix(3000, 16, 3)
    try {
      const expected = await backend.knn(base, base, 5, { metric: 'euclidean' })
      const searching = backend.knn(base, base, 5, { metric: 'euclidean' })
      await backend.dispose()
      expect((await searching).indices).toEqual(expected.indices)
    } finally {
      await backend.dispose()
    }
  })

  it('the default backend is ONNX where onnxruntime-node loads', async () => {
    const backend = await createDefaultBackend()
    try {
      expect(backend.name).toBe('onnx')
      expect(backend.fallbackReason).toBeUndefined()
    } finally {
      await backend.dispose()
    }
  })

  it('falls back to the portable backend with the reason when the native one fails to load', async () => {
    const backend = await createDefaultBackend({}, async () => {
      throw new Error('libonnxruntime.so.1: cannot open shared object file')
    })
    expect(backend.name).toBe('portable')
    expect(backend.fallbackReason).toMatch(/cannot open shared object file/)
    const matrix = randomMatrix(5, 3, 2)
    expect((await backend.knn(matrix, matrix, 2, { metric: 'euclidean', excludeSelf: true })).rows).toBe(5)
  })

  it('rejects a bad thread count instead of falling back', async () => {
    await expect(createDefaultBackend({ threads: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
