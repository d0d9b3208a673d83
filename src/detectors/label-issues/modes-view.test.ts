import { describe, expect, it } from 'vitest'
import { crossValidatedProbabilities } from '../../models/cross-validation.js'
import { createRng } from '../../util/rng.js'
import { modeModelProbabilities, modesOf } from './modes-view.js'

/** Four blobs at the corners of a square, the diagonal pairs one class each: no line parts the two classes. */
function crossedBlobs(rowCount: number) {
  const rng = createRng(5)
  const data = new Float32Array(rowCount * 2)
  const codes = new Int32Array(rowCount)
  const corners = new Int32Array(rowCount)
  for (let row = 0; row < rowCount; row++) {
    const corner = row % 4
    const x = corner & 1 ? 1 : -1
    const y = corner & 2 ? 1 : -1
    data[row * 2] = x + 0.2 * rng.normal()
    data[row * 2 + 1] = y + 0.2 * rng.normal()
    codes[row] = x === y ? 0 : 1
    corners[row] = corner
  }
  return { geometry: { data, rows: rowCount, cols: 2 }, codes, corners }
}

function meanOwnLabelProbability(probabilities: { data: Float32Array; cols: number }, codes: Int32Array) {
  let sum = 0
  codes.forEach((code, row) => {
    sum += probabilities.data[row * probabilities.cols + code]
  })
  return sum / codes.length
}

describe('modesOf', () => {
  it('puts the records of one blob in one mode and the blobs apart', () => {
    const { geometry, corners } = crossedBlobs(400)
    const modes = modesOf(geometry, 4, createRng(1))
    const modeOfCorner = new Map<number, Set<number>>()
    corners.forEach((corner, row) => {
      modeOfCorner.set(corner, (modeOfCorner.get(corner) ?? new Set()).add(modes[row]))
    })
    for (const held of modeOfCorner.values()) expect(held.size).toBe(1)
    expect(new Set(modes).size).toBe(4)
  })
})

describe('modeModelProbabilities', () => {
  it('learns classes made of several modes that the model read per class cannot part', () => {
    const { geometry, codes } = crossedBlobs(400)
    const perClass = crossValidatedProbabilities(geometry, codes, 2, { rng: createRng(0) })
    const byModes = modeModelProbabilities(geometry, geometry, codes, 2, 0)
    expect(meanOwnLabelProbability(perClass, codes)).toBeLessThan(0.6)
    expect(meanOwnLabelProbability(byModes, codes)).toBeGreaterThan(0.9)
    for (let row = 0; row < codes.length; row++)
      expect(byModes.data[row * 2] + byModes.data[row * 2 + 1]).toBeCloseTo(1, 5)
  })
})
