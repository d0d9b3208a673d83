import { describe, expect, it } from 'vitest'
import { createRng } from '../util/rng.js'
import { randomFourierFeatures } from './random-fourier.js'

function randomMatrix(rows: number, cols: number, seed: number) {
  const rng = createRng(seed)
  return { data: Float32Array.from({ length: rows * cols }, () => rng.normal()), rows, cols }
}

function row(matrix: { data: Float32Array; cols: number }, index: number) {
  return matrix.data.subarray(index * matrix.cols, (index + 1) * matrix.cols)
}

describe('randomFourierFeatures', () => {
  it('approximates a Gaussian kernel at half the median distance, times the column count', () => {
    const points = randomMatrix(200, 5, 1)
    const features = randomFourierFeatures(points, { featureCount: 4000, rng: createRng(2) })
    expect([features.rows, features.cols]).toEqual([200, 4000])
    const distance = (a: number, b: number) =>
      Math.hypot(...Array.from(row(points, a), (value, col) => value - row(points, b)[col]))
    const distances: number[] = []
    for (let a = 0; a < points.rows; a++)
      for (let b = a + 1; b < points.rows; b++) distances.push(distance(a, b))
    distances.sort((x, y) => x - y)
    const width = distances[distances.length >> 1] / 2
    for (let pair = 0; pair < 20; pair++) {
      const [a, b] = [row(features, pair), row(features, pair + 100)]
      let product = 0
      for (let k = 0; k < a.length; k++) product += a[k] * b[k]
      const kernel = Math.exp(-(distance(pair, pair + 100) ** 2) / (2 * width ** 2))
      expect(Math.abs(product / points.cols - kernel)).toBeLessThan(0.06)
    }
  })

  it('is the same for the same seed', () => {
    const points = randomMatrix(30, 3, 3)
    const first = randomFourierFeatures(points, { featureCount: 16, rng: createRng(4) })
    const second = randomFourierFeatures(points, { featureCount: 16, rng: createRng(4) })
    expect(Array.from(first.data)).toEqual(Array.from(second.data))
  })
})
