import { describe, expect, it } from 'vitest'
import { crossValidatedProbabilities } from '../../models/cross-validation.js'
import { createRng } from '../../util/rng.js'
import { kernelModelProbabilities, readsKernel } from './kernel-view.js'

/** A disc of one class inside a ring of the other: no line parts them, a Gaussian kernel does. */
function discInRing(rowCount: number) {
  const rng = createRng(3)
  const data = new Float32Array(rowCount * 2)
  const codes = new Int32Array(rowCount)
  for (let row = 0; row < rowCount; row++) {
    const inner = row % 2 === 0
    const radius = inner ? rng.next() : 2 + rng.next()
    const angle = rng.next() * 2 * Math.PI
    data[row * 2] = radius * Math.cos(angle)
    data[row * 2 + 1] = radius * Math.sin(angle)
    codes[row] = inner ? 0 : 1
  }
  return { geometry: { data, rows: rowCount, cols: 2 }, codes }
}

function meanOwnLabelProbability(probabilities: { data: Float32Array; cols: number }, codes: Int32Array) {
  let sum = 0
  codes.forEach((code, row) => {
    sum += probabilities.data[row * probabilities.cols + code]
  })
  return sum / codes.length
}

describe('kernelModelProbabilities', () => {
  it('learns classes no half-space parts', () => {
    const { geometry, codes } = discInRing(600)
    const linear = crossValidatedProbabilities(geometry, codes, 2, { rng: createRng(0) })
    const kernel = kernelModelProbabilities(geometry, codes, 2, 0)
    expect(meanOwnLabelProbability(linear, codes)).toBeLessThan(0.6)
    expect(meanOwnLabelProbability(kernel, codes)).toBeGreaterThan(0.85)
    for (let row = 0; row < codes.length; row++)
      expect(kernel.data[row * 2] + kernel.data[row * 2 + 1]).toBeCloseTo(1, 5)
  })
})

describe('readsKernel', () => {
  it('tries the kernel on small data whose linear model knows little more than the neighbours', () => {
    expect(readsKernel({ model: 1.1, neighbours: 1.1 }, 1000, 10)).toBe(true)
    expect(readsKernel({ model: 3, neighbours: 0.02 }, 1000, 2)).toBe(false)
    expect(readsKernel({ model: 0.4, neighbours: 1.8 }, 10_000, 10)).toBe(false)
  })
})
