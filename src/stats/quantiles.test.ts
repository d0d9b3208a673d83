import { describe, expect, it } from 'vitest'
import { createRng } from '../util/rng.js'
import { median, quantileSorted, selectInPlace } from './quantiles.js'

describe('quantiles', () => {
  // Reference: numpy.quantile(values, probabilities, method=…) on the same values.
  const sorted = Float64Array.from([1, 2, 3, 4, 6, 7, 9])
  const probabilities = [0, 0.05, 0.25, 0.5, 0.9, 1]

  it('interpolate linearly like NumPy and R by default (type 7)', () => {
    const expected = [1, 1.3, 2.5, 4, 7.8, 9]
    expect(probabilities.map((probability) => quantileSorted(sorted, probability))).toEqual(
      expected.map((value) => expect.closeTo(value, 14)),
    )
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBe(1.75)
    expect(quantileSorted([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 14)
  })

  it('take the order statistic below or above with the lower and higher methods', () => {
    expect(probabilities.map((probability) => quantileSorted(sorted, probability, 'lower'))).toEqual([
      1, 1, 2, 4, 7, 9,
    ])
    expect(probabilities.map((probability) => quantileSorted(sorted, probability, 'higher'))).toEqual([
      1, 2, 3, 4, 9, 9,
    ])
    expect(quantileSorted([1, 2, 3, 4], 0.5, 'higher')).toBe(3)
    expect(quantileSorted([], 0.5)).toBeNaN()
  })

  it('median takes the middle value or the mean of the two middle values, unsorted input', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median(Float32Array.from([5, -1]))).toBe(2)
    expect(median([])).toBe(0)
  })
})

describe('quickselect', () => {
  it('finds the k-th smallest value like a sort does', () => {
    const rng = createRng(21)
    for (const length of [1, 2, 7, 100, 1001]) {
      const values = Float64Array.from({ length }, () => Math.round(rng.next() * 20))
      const sorted = values.slice().sort()
      for (const k of [0, length >> 1, length - 1]) expect(selectInPlace(values.slice(), k)).toBe(sorted[k])
    }
  })
})
