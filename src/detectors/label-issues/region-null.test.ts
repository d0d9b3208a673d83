import { describe, expect, it } from 'vitest'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { createRng } from '../../util/rng.js'
import { labelsHeldByRegion } from './region-null.js'

const clusterSize = 100
const k = 10
const noiseRate = 0.1

/**
 * Three clusters of 100 records whose neighbours are records of their own cluster: one pure with one flipped label,
 * one pure with 10% of its labels flipped, and one that two classes share half and half. The views doubt every flip,
 * and a third of the shared cluster's second class as surely (a model sure of the other class where both live).
 */
function threeClusters() {
  const rng = createRng(3)
  const rowCount = 3 * clusterSize
  const codes = new Int32Array(rowCount)
  const wrongChances = new Float64Array(rowCount).fill(0.01)
  const oneFlip = 0
  codes[oneFlip] = 1
  wrongChances[oneFlip] = 0.999
  const manyFlips = Array.from({ length: 10 }, (_, index) => clusterSize + 10 * index)
  for (const row of manyFlips) {
    codes[row] = 1
    wrongChances[row] = 0.999
  }
  const sharedMinority = Array.from({ length: 50 }, (_, index) => 2 * clusterSize + index)
  sharedMinority.forEach((row, index) => {
    codes[row] = 1
    wrongChances[row] = index % 3 === 0 ? 0.999 : 0.05
  })
  const indices = new Int32Array(rowCount * k)
  for (let row = 0; row < rowCount; row++) {
    const cluster = Math.floor(row / clusterSize)
    for (let slot = 0; slot < k; slot++) {
      let neighbour = row
      while (neighbour === row) neighbour = cluster * clusterSize + rng.int(clusterSize)
      indices[row * k + slot] = neighbour
    }
  }
  const graph: NeighbourGraph = {
    rows: rowCount,
    k,
    indices,
    distances: new Float32Array(rowCount * k).fill(1),
  }
  return { graph, codes, wrongChances, oneFlip, manyFlips, sharedMinority }
}

describe('labelsHeldByRegion', () => {
  it('holds the doubted labels of a region two classes share, and no flip in a region pure of its label', () => {
    const { graph, codes, wrongChances, oneFlip, manyFlips, sharedMinority } = threeClusters()
    const held = labelsHeldByRegion(graph, codes, wrongChances, 2, noiseRate)
    expect(held[oneFlip]).toBe(0)
    expect(manyFlips.map((row) => held[row])).toEqual(manyFlips.map(() => 0))
    const surelyDoubted = sharedMinority.filter((_, index) => index % 3 === 0)
    expect(surelyDoubted.map((row) => held[row])).toEqual(surelyDoubted.map(() => 1))
  })

  it('does not hold a region that holds the label only as often as the noise puts it there', () => {
    const { graph, codes, wrongChances, manyFlips } = threeClusters()
    // The same flips believed: a tenth of a cluster is what 10% noise puts anywhere.
    for (const row of manyFlips) wrongChances[row] = 0
    const held = labelsHeldByRegion(graph, codes, wrongChances, 2, noiseRate)
    expect(manyFlips.map((row) => held[row])).toEqual(manyFlips.map(() => 0))
    expect(labelsHeldByRegion(graph, codes, wrongChances, 2, 0.001)[manyFlips[0]]).toBe(1)
  })

  it('says nothing of unlabelled records', () => {
    const { graph, codes, wrongChances } = threeClusters()
    codes[150] = -1
    expect(labelsHeldByRegion(graph, codes, wrongChances, 2, noiseRate)[150]).toBe(0)
  })
})
