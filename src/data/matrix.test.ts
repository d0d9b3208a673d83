import { describe, expect, it } from 'vitest'
import { crossValidatedProbabilities } from '../models/cross-validation.js'
import { createRng } from '../util/rng.js'
import { type SparseMatrix, valueSpan, withUsedColumns } from './matrix.js'

describe('withUsedColumns', () => {
  it('renumbers the used columns in order and leaves a model’s out-of-fold probabilities as they were', () => {
    const rng = createRng(3)
    const rows = 60
    const indptr = new Int32Array(rows + 1)
    const indices: number[] = []
    const values: number[] = []
    const labels = new Int32Array(rows)
    for (let row = 0; row < rows; row++) {
      labels[row] = row % 3
      // Each class uses its own stretch of a wide, mostly empty column range, plus shared noise columns.
      const own = 1000 * (labels[row] + 1) + rng.int(5)
      const shared = 50_000 + rng.int(20)
      indices.push(...[own, shared].sort((a, b) => a - b))
      values.push(1, 0.5)
      indptr[row + 1] = indices.length
    }
    const wide: SparseMatrix = {
      indptr,
      indices: Int32Array.from(indices),
      values: Float32Array.from(values),
      rows,
      cols: 1 << 18,
    }
    const narrow = withUsedColumns(wide)
    expect(narrow.cols).toBe(new Set(indices).size)
    for (let row = 0; row < rows; row++)
      expect(narrow.indices[2 * row]).toBeLessThan(narrow.indices[2 * row + 1])
    const options = () => ({ rng: createRng(1) })
    expect(crossValidatedProbabilities(narrow, labels, 3, options()).data).toEqual(
      crossValidatedProbabilities(wide, labels, 3, options()).data,
    )
  })
})

describe('valueSpan', () => {
  it('finds the lowest and highest value however far apart they lie, and whether all are integers', () => {
    const values = new Float32Array(10_000).fill(3)
    values[9_999] = -2
    values[5_000] = 7
    expect(valueSpan(values)).toEqual({ low: -2, high: 7, integral: true })
    values[8_191] = 0.5
    expect(valueSpan(values).integral).toBe(false)
    expect(valueSpan(new Float32Array(0))).toEqual({
      low: Number.POSITIVE_INFINITY,
      high: Number.NEGATIVE_INFINITY,
      integral: true,
    })
  })
})
