import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { searchesUnexplained, withoutDirections } from './explained.js'
import { packRows } from './score.js'

describe('the search with the other classes’ variation taken out', () => {
  it('leaves rows with no component along the directions taken out and the rest as they were', () => {
    const rng = createRng(2)
    const cols = 6
    const rows = Float32Array.from({ length: 3 * cols }, () => rng.normal())
    const direction = Float64Array.from([1, 1, 0, 0, 0, 0].map((value) => value / Math.SQRT2))
    const out = withoutDirections(rows, 3, cols, [direction])
    for (let row = 0; row < 3; row++) {
      expect(out[row * cols] + out[row * cols + 1]).toBeCloseTo(0, 5)
      expect(out[row * cols] - out[row * cols + 1]).toBeCloseTo(rows[row * cols] - rows[row * cols + 1], 5)
      for (let col = 2; col < cols; col++) expect(out[row * cols + col]).toBe(rows[row * cols + col])
    }
  })

  it('runs on dense rows of enough pixels only', () => {
    const dense = (cols: number) => packRows(new Float32Array(4 * cols).fill(0.5), 4, cols)
    expect(searchesUnexplained(dense(1024))).toBe(true)
    expect(searchesUnexplained(dense(64))).toBe(false)
    const silent = new Float32Array(4 * 1024)
    silent[3] = 1
    expect(searchesUnexplained(packRows(silent, 4, 1024))).toBe(false)
  })
})
