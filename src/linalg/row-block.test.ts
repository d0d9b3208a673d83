import { describe, expect, it } from 'vitest'
import { createRng } from '../util/rng.js'
import { addGatheredOuter, multiplyGatheredRows } from './row-block.js'

const rng = createRng(3)
const cols = 13
const data = Float32Array.from({ length: 20 * cols }, () => rng.normal())

function randomArray(length: number): Float64Array {
  return Float64Array.from({ length }, () => rng.normal())
}

describe('blocked products of gathered rows', () => {
  // Widths 1, 2 and 3 and row counts around the 4-row tile reach every tail of the kernels.
  for (const width of [1, 2, 3, 10]) {
    for (const rowCount of [1, 4, 7, 9]) {
      it(`equal the plain products for ${rowCount} rows and ${width} columns`, () => {
        const rows = Int32Array.from({ length: rowCount }, () => rng.int(20))
        const weights = randomArray(cols * width)
        const out = new Float64Array(rowCount * width)
        multiplyGatheredRows(data, cols, rows, weights, width, out)
        const factors = randomArray(rowCount * width)
        const start = randomArray(cols * width)
        const added = Float64Array.from(start)
        addGatheredOuter(data, cols, rows, factors, width, added)
        for (let t = 0; t < rowCount; t++) {
          for (let c = 0; c < width; c++) {
            let expected = 0
            for (let j = 0; j < cols; j++) expected += data[rows[t] * cols + j] * weights[j * width + c]
            expect(out[t * width + c]).toBeCloseTo(expected, 10)
          }
        }
        for (let j = 0; j < cols; j++) {
          for (let c = 0; c < width; c++) {
            let expected = start[j * width + c]
            for (let t = 0; t < rowCount; t++) expected += data[rows[t] * cols + j] * factors[t * width + c]
            expect(added[j * width + c]).toBeCloseTo(expected, 10)
          }
        }
      })
    }
  }
})
