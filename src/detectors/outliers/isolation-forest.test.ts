import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { averagePathLength, cutsFromScore, scoreIsolationForest } from './isolation-forest.js'

function cloud(rowCount: number, seed: number) {
  const rng = createRng(seed)
  const data = Float32Array.from({ length: rowCount * 3 }, () => rng.normal())
  return { data, rows: rowCount, cols: 3 }
}

const keysOf = (rowCount: number) =>
  Uint32Array.from({ length: rowCount }, (_, row) => (row * 2654435761) >>> 0)

describe('isolation forest', () => {
  it('uses the paper’s average path length c(n)', () => {
    expect(averagePathLength(1)).toBe(0)
    expect(averagePathLength(2)).toBe(1)
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 3)
    expect(cutsFromScore(2 ** -1, 256)).toBeCloseTo(averagePathLength(256), 6)
  })

  it('isolates a far point in few cuts and scores ordinary points near or below 0.5', () => {
    const matrix = cloud(500, 1)
    matrix.data.set([12, -9, 15], 7 * 3)
    const rows = Int32Array.from({ length: 500 }, (_, row) => row)
    const scores = new Float32Array(500)
    scoreIsolationForest(
      matrix,
      rows,
      rows,
      { treeCount: 100, sampleSize: 256, rowKeys: keysOf(500), rng: createRng(2) },
      scores,
    )
    const others = Array.from(scores)
      .filter((_, row) => row !== 7)
      .sort((a, b) => a - b)
    expect(scores[7]).toBeGreaterThan(0.7)
    expect(others[others.length >> 1]).toBeLessThan(0.5)
    expect(scores[7]).toBeGreaterThan(others[others.length - 1])
  })

  it('walks four records side by side to the same path lengths as one at a time', () => {
    const matrix = cloud(103, 3)
    matrix.data.set([9, 9, -9], 50 * 3)
    const rows = Int32Array.from({ length: 103 }, (_, row) => row)
    const options = () => ({ treeCount: 30, sampleSize: 64, rowKeys: keysOf(103), rng: createRng(4) })
    const together = new Float32Array(103)
    scoreIsolationForest(matrix, rows, rows, options(), together)
    const alone = new Float32Array(103)
    for (const row of rows) scoreIsolationForest(matrix, rows, Int32Array.of(row), options(), alone)
    expect(new Set(together).size).toBeGreaterThan(50)
    expect(Array.from(together)).toEqual(Array.from(alone))
  })

  it('grows the same forest whatever the row order, since samples follow the row keys', () => {
    const matrix = cloud(300, 3)
    const keys = keysOf(300)
    const rows = Int32Array.from({ length: 300 }, (_, row) => row)
    const first = new Float32Array(300)
    scoreIsolationForest(
      matrix,
      rows,
      rows,
      { treeCount: 20, sampleSize: 64, rowKeys: keys, rng: createRng(5) },
      first,
    )
    const order = Int32Array.from(rows).reverse()
    const reversed = {
      data: Float32Array.from(
        { length: 900 },
        (_, index) => matrix.data[order[Math.floor(index / 3)] * 3 + (index % 3)],
      ),
      rows: 300,
      cols: 3,
    }
    const second = new Float32Array(300)
    const reversedKeys = Uint32Array.from(order, (row) => keys[row])
    scoreIsolationForest(
      reversed,
      rows,
      rows,
      { treeCount: 20, sampleSize: 64, rowKeys: reversedKeys, rng: createRng(5) },
      second,
    )
    for (let row = 0; row < 300; row++) expect(second[row]).toBeCloseTo(first[order[row]], 6)
  })

  it('makes leaves of identical rows instead of looping', () => {
    const matrix = { data: new Float32Array(40 * 2).fill(1), rows: 40, cols: 2 }
    const rows = Int32Array.from({ length: 40 }, (_, row) => row)
    const scores = new Float32Array(40)
    scoreIsolationForest(
      matrix,
      rows,
      rows,
      { treeCount: 5, sampleSize: 32, rowKeys: keysOf(40), rng: createRng(1) },
      scores,
    )
    expect(new Set(scores).size).toBe(1)
  })
})
