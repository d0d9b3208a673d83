import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mnistArrays } from '../../test/fixtures/datasets.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { createRng } from '../util/rng.js'
import type { DistanceMetric, LinalgBackend, NeighbourGraph } from './backend.js'
import { createOnnxBackend } from './onnx/index.js'
import { createPortableBackend } from './portable.js'

function randomMatrix(rows: number, cols: number, seed: number): FeatureMatrix {
  const rng = createRng(seed)
  const data = new Float32Array(rows * cols)
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * 3 + 1
  return { data, rows, cols }
}

/** Rows 1 and 7 duplicate row 0, row 9 duplicates row 4, rows 5 and 12 are all zero. */
function awkwardMatrix(): FeatureMatrix {
  const matrix = randomMatrix(60, 12, 7)
  const row = (r: number) => matrix.data.subarray(r * 12, r * 12 + 12)
  row(1).set(row(0))
  row(7).set(row(0))
  row(9).set(row(4))
  row(5).fill(0)
  row(12).fill(0)
  return matrix
}

function referenceDistance(a: FeatureMatrix, i: number, b: FeatureMatrix, j: number, metric: DistanceMetric) {
  let dot = 0
  let aa = 0
  let bb = 0
  let squared = 0
  for (let c = 0; c < a.cols; c++) {
    const x = a.data[i * a.cols + c]
    const y = b.data[j * b.cols + c]
    dot += x * y
    aa += x * x
    bb += y * y
    squared += (x - y) ** 2
  }
  if (metric === 'euclidean') return Math.sqrt(squared)
  return aa === 0 || bb === 0 ? 1 : 1 - dot / Math.sqrt(aa * bb)
}

/** Brute force: every distance in double precision, sorted. */
function referenceKnn(
  base: FeatureMatrix,
  queries: FeatureMatrix,
  k: number,
  metric: DistanceMetric,
  excludeSelf: boolean,
) {
  const distances: number[][] = []
  for (let q = 0; q < queries.rows; q++) {
    const all: number[] = []
    for (let b = 0; b < base.rows; b++) {
      if (!(excludeSelf && b === q)) all.push(referenceDistance(queries, q, base, b, metric))
    }
    distances.push(all.sort((x, y) => x - y).slice(0, k))
  }
  return distances
}

/** Distances match the reference, and each returned index really lies at its returned distance. */
function expectMatchesReference(
  graph: NeighbourGraph,
  base: FeatureMatrix,
  queries: FeatureMatrix,
  metric: DistanceMetric,
  excludeSelf: boolean,
): void {
  const reference = referenceKnn(base, queries, graph.k, metric, excludeSelf)
  let worst = 0
  for (let q = 0; q < queries.rows; q++) {
    const seen = new Set<number>()
    for (let i = 0; i < graph.k; i++) {
      const index = graph.indices[q * graph.k + i]
      const distance = graph.distances[q * graph.k + i]
      expect(excludeSelf && index === q).toBe(false)
      seen.add(index)
      const scale = 1 + reference[q][i]
      worst = Math.max(worst, Math.abs(distance - reference[q][i]) / scale)
      worst = Math.max(worst, Math.abs(distance - referenceDistance(queries, q, base, index, metric)) / scale)
    }
    expect(seen.size).toBe(graph.k)
  }
  expect(worst).toBeLessThan(2e-5)
}

const backends: [string, () => Promise<LinalgBackend>][] = [
  ['portable', async () => createPortableBackend()],
  ['onnx', () => createOnnxBackend()],
]

describe.each(backends)('%s backend k-NN', (_name, create) => {
  let backend: LinalgBackend
  beforeAll(async () => {
    backend = await create()
  })
  afterAll(async () => {
    await backend.dispose()
  })

  it.each<[DistanceMetric, boolean]>([
    ['euclidean', true],
    ['euclidean', false],
    ['cosine', true],
    ['cosine', false],
  ])(
    'matches brute force on rows with duplicates and zeros (%s, excludeSelf %s)',
    async (metric, excludeSelf) => {
      const matrix = awkwardMatrix()
      const graph = await backend.knn(matrix, matrix, 5, { metric, excludeSelf })
      expect(graph.rows).toBe(60)
      expectMatchesReference(graph, matrix, matrix, metric, excludeSelf)
    },
  )

  it('finds duplicates at distance exactly 0 and never returns the row itself', async () => {
    const matrix = awkwardMatrix()
    for (const metric of ['euclidean', 'cosine'] as const) {
      const graph = await backend.knn(matrix, matrix, 2, { metric, excludeSelf: true })
      expect([graph.indices[0], graph.indices[1]]).toEqual([1, 7])
      expect(Array.from(graph.distances.subarray(0, 2))).toEqual([0, 0])
      expect([graph.indices[7 * 2], graph.indices[7 * 2 + 1]]).toEqual([0, 1])
      expect(graph.indices[4 * 2]).toBe(9)
      expect(graph.distances[4 * 2]).toBe(0)
    }
  })

  it('gives a block of rows searched apart (selfOffset) the rows of the whole search', async () => {
    const matrix = awkwardMatrix()
    for (const metric of ['euclidean', 'cosine'] as const) {
      const whole = await backend.knn(matrix, matrix, 4, { metric, excludeSelf: true })
      for (const [start, end] of [
        [0, 8],
        [8, 37],
        [37, 60],
      ]) {
        const block = { data: matrix.data.subarray(start * 12, end * 12), rows: end - start, cols: 12 }
        const part = await backend.knn(matrix, block, 4, { metric, excludeSelf: true, selfOffset: start })
        expect(part.indices).toEqual(whole.indices.subarray(start * 4, end * 4))
        expect(part.distances).toEqual(whole.distances.subarray(start * 4, end * 4))
      }
    }
  })

  it('puts zero vectors at cosine distance 1 from everything', async () => {
    const matrix = awkwardMatrix()
    const graph = await backend.knn(matrix, matrix, 4, { metric: 'cosine', excludeSelf: true })
    expect(Array.from(graph.distances.subarray(5 * 4, 6 * 4))).toEqual([1, 1, 1, 1])
    for (let i = 0; i < graph.indices.length; i++) {
      if (graph.indices[i] === 5 || graph.indices[i] === 12) expect(graph.distances[i]).toBe(1)
    }
  })

  it('searches separate queries against a base', async () => {
    const base = randomMatrix(300, 20, 1)
    const queries = randomMatrix(45, 20, 2)
    for (const metric of ['euclidean', 'cosine'] as const) {
      const graph = await backend.knn(base, queries, 7, { metric })
      expect(graph.rows).toBe(45)
      expectMatchesReference(graph, base, queries, metric, false)
    }
  })

  it('handles k = rows − 1 with excludeSelf and rejects k = rows', async () => {
    const matrix = randomMatrix(9, 4, 3)
    const graph = await backend.knn(matrix, matrix, 8, { metric: 'euclidean', excludeSelf: true })
    expectMatchesReference(graph, matrix, matrix, 'euclidean', true)
    await expect(
      backend.knn(matrix, matrix, 9, { metric: 'euclidean', excludeSelf: true }),
    ).rejects.toMatchObject({
      code: 'NOT_ENOUGH_DATA',
    })
    const all = await backend.knn(matrix, matrix, 9, { metric: 'euclidean' })
    expect(all.distances[0]).toBe(0)
  })

  it('rejects mismatched columns and bad k with typed errors', async () => {
    const base = randomMatrix(10, 4, 4)
    await expect(backend.knn(base, randomMatrix(3, 5, 5), 2, { metric: 'cosine' })).rejects.toMatchObject({
      code: 'SHAPE_MISMATCH',
    })
    await expect(backend.knn(base, base, 0, { metric: 'cosine' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    const metric = 'manhattan' as DistanceMetric
    await expect(backend.knn(base, base, 2, { metric })).rejects.toThrow(/use one of cosine, euclidean/)
  })

  it('reports progress up to 1', async () => {
    const matrix = randomMatrix(200, 8, 6)
    const fractions: number[] = []
    await backend.knn(matrix, matrix, 3, { metric: 'euclidean', onProgress: (done) => fractions.push(done) })
    expect(fractions.length).toBeGreaterThan(0)
    expect(fractions.at(-1)).toBe(1)
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions)
  })
})

describe('k-NN on real MNIST rows', () => {
  const mnist = mnistArrays()
  const base: FeatureMatrix = { data: mnist.pixels.subarray(0, 1500 * 784), rows: 1500, cols: 784 }

  it('searches a matrix against itself by block pairs with the result of the one-sided search', async () => {
    const onnx = await createOnnxBackend()
    try {
      // 1100 rows (three blocks) of 300 central pixels; two exact duplicates of row 5 in the last block, so ties
      // between blocks must keep the lower index.
      const rows = 1100
      const cols = 300
      const data = new Float32Array(rows * cols)
      for (let row = 0; row < rows; row++) {
        data.set(mnist.pixels.subarray(row * 784 + 240, row * 784 + 240 + cols), row * cols)
      }
      data.copyWithin(1090 * cols, 5 * cols, 6 * cols)
      data.copyWithin(1050 * cols, 5 * cols, 6 * cols)
      const matrix: FeatureMatrix = { data, rows, cols }
      for (const metric of ['euclidean', 'cosine'] as const) {
        const options = { metric, excludeSelf: true }
        const selfJoin = await onnx.knn(matrix, matrix, 10, options)
        const oneSided = await onnx.knn(matrix, { ...matrix }, 10, options)
        expect(selfJoin.indices).toEqual(oneSided.indices)
        for (let i = 0; i < selfJoin.distances.length; i++) {
          expect(Math.abs(selfJoin.distances[i] - oneSided.distances[i])).toBeLessThan(
            1e-5 * (1 + oneSided.distances[i]),
          )
        }
        expect([selfJoin.indices[5 * 10], selfJoin.indices[5 * 10 + 1]]).toEqual([1050, 1090])
        expect([selfJoin.indices[1090 * 10], selfJoin.indices[1090 * 10 + 1]]).toEqual([5, 1050])
      }
    } finally {
      await onnx.dispose()
    }
  })

  it.each<DistanceMetric>(['euclidean', 'cosine'])(
    'onnx and portable agree with brute force (%s)',
    async (metric) => {
      const onnx = await createOnnxBackend()
      try {
        const [fast, portable] = await Promise.all([
          onnx.knn(base, base, 10, { metric, excludeSelf: true }),
          createPortableBackend().knn(base, base, 10, { metric, excludeSelf: true }),
        ])
        const queries: FeatureMatrix = { data: base.data.subarray(0, 150 * 784), rows: 150, cols: 784 }
        const head = (graph: NeighbourGraph) => ({
          ...graph,
          rows: 150,
          indices: graph.indices.subarray(0, 1500),
          distances: graph.distances.subarray(0, 1500),
        })
        expectMatchesReference(head(fast), base, queries, metric, true)
        expectMatchesReference(head(portable), base, queries, metric, true)
        let sameIndex = 0
        for (let i = 0; i < fast.indices.length; i++) if (fast.indices[i] === portable.indices[i]) sameIndex++
        expect(sameIndex / fast.indices.length).toBeGreaterThan(0.99)
        for (let i = 0; i < fast.distances.length; i++) {
          expect(Math.abs(fast.distances[i] - portable.distances[i])).toBeLessThan(
            1e-4 * (1 + portable.distances[i]),
          )
        }
      } finally {
        await onnx.dispose()
      }
    },
  )
})
