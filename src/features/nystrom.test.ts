import { describe, expect, it } from 'vitest'
import { createRng } from '../util/rng.js'
import { nystromFeatures } from './nystrom.js'

function randomPoints(rowCount: number, cols: number, seed: number) {
  const rng = createRng(seed)
  const data = Float32Array.from({ length: rowCount * cols }, () => rng.normal())
  return { data, rows: rowCount, cols }
}

function dot(data: Float32Array, first: number, second: number, cols: number) {
  let sum = 0
  for (let col = 0; col < cols; col++) sum += data[first * cols + col] * data[second * cols + col]
  return sum
}

describe('nystromFeatures', () => {
  it('reproduces the Gaussian kernel exactly when every record is a landmark', () => {
    const points = randomPoints(60, 3, 1)
    const features = nystromFeatures(points, { landmarkCount: 60, bandwidthShare: 1, rng: createRng(2) })
    expect(features.rows).toBe(60)
    expect(features.cols).toBe(60)
    // The kernel at the median distance between records: its width is read from the data, so compare the ratios
    // the Gaussian form fixes, k(a, b)² = k(a, a) k(b, b) exp(−‖a − b‖² / w²) for some w shared by all pairs.
    const self = dot(features.data, 0, 0, 60)
    expect(self).toBeGreaterThan(0.99)
    expect(self).toBeLessThanOrEqual(1.001)
    const logs: number[] = []
    for (const [first, second] of [
      [0, 1],
      [2, 3],
      [4, 5],
    ]) {
      let squared = 0
      for (let col = 0; col < 3; col++)
        squared += (points.data[first * 3 + col] - points.data[second * 3 + col]) ** 2
      logs.push(-Math.log(dot(features.data, first, second, 60)) / squared)
    }
    expect(logs[1]).toBeCloseTo(logs[0], 2)
    expect(logs[2]).toBeCloseTo(logs[0], 2)
  })

  it('is deterministic for a seed and has as many columns as landmarks', () => {
    const points = randomPoints(200, 4, 3)
    const first = nystromFeatures(points, { landmarkCount: 50, bandwidthShare: 0.5, rng: createRng(7) })
    const second = nystromFeatures(points, { landmarkCount: 50, bandwidthShare: 0.5, rng: createRng(7) })
    expect(first.cols).toBe(50)
    expect(first.data).toEqual(second.data)
    expect(first.data.every(Number.isFinite)).toBe(true)
  })

  it('stays finite when landmarks repeat', () => {
    const points = randomPoints(10, 2, 4)
    const copies = { data: new Float32Array(40 * 2), rows: 40, cols: 2 }
    for (let row = 0; row < 40; row++)
      copies.data.set(points.data.subarray((row % 10) * 2, (row % 10) * 2 + 2), row * 2)
    const features = nystromFeatures(copies, { landmarkCount: 40, bandwidthShare: 0.5, rng: createRng(1) })
    expect(features.data.every(Number.isFinite)).toBe(true)
  })
})
