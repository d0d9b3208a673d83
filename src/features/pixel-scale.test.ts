import { describe, expect, it } from 'vitest'
import { mnistDataset } from '../../test/fixtures/datasets.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { hasColumnwiseSpread, restorePixelScale } from './pixel-scale.js'
import { standardize } from './standardize.js'

const digits = mnistDataset(500).features!

function largest(matrix: FeatureMatrix): number {
  return matrix.data.reduce((max, value) => Math.max(max, Math.abs(value)), 0)
}

describe('pixels scaled column by column', () => {
  const standardized = standardize(digits).matrix

  it('are told apart from grey levels by every varying pixel having the same spread', () => {
    expect(hasColumnwiseSpread(digits)).toBe(false)
    expect(hasColumnwiseSpread(standardized)).toBe(true)
  })

  it('are still told apart once a patch was pasted on some of the images', () => {
    const patched = { ...standardized, data: standardized.data.slice() }
    const value = largest(standardized)
    for (let row = 0; row < 15; row++)
      for (let y = 24; y < 27; y++) for (let x = 24; x < 27; x++) patched.data[row * 784 + y * 28 + x] = value
    expect(hasColumnwiseSpread(patched)).toBe(true)
  })

  it('are put back on one scale: the background 0 again, no rarely-lit pixel blown up', () => {
    const restored = restorePixelScale(standardized)
    expect(largest(standardized)).toBeGreaterThan(15)
    expect(largest(restored)).toBeLessThan(4)
    for (let cell = 0; cell < digits.data.length; cell++)
      if (digits.data[cell] === 0) expect(restored.data[cell]).toBe(0)
    expect(hasColumnwiseSpread(restored)).toBe(false)
  })

  it('come back the same whatever scale and offset each pixel had before its standardisation', () => {
    const { rows, cols } = digits
    const stretched = Float32Array.from(
      digits.data,
      (value, cell) => 255 * (1 + (cell % cols) / cols) * value - 3,
    )
    const restored = restorePixelScale(standardize(digits).matrix)
    const again = restorePixelScale(standardize({ data: stretched, rows, cols }).matrix)
    const furthest = again.data.reduce(
      (max, value, cell) => Math.max(max, Math.abs(value - restored.data[cell])),
      0,
    )
    expect(furthest).toBeLessThan(1e-3)
  })
})
