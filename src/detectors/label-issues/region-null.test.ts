import { describe, expect, it } from 'vitest'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { binomialUpperTail } from '../../stats/tails.js'
import { createRng } from '../../util/rng.js'
import { heldLevel, labelsHeldByRegion } from './region-null.js'

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

/**
 * Clusters of 30 records, 70% of them bearing their cluster's class, each record's neighbours mostly in its cluster
 * and some anywhere; a few neighbour slots empty (-1), a few records unlabelled, some labels believed outright.
 */
function seededRegions(seed: number) {
  const rng = createRng(seed)
  const rowCount = 3000
  const classCount = 5
  const codes = new Int32Array(rowCount)
  const wrongChances = new Float64Array(rowCount)
  for (let row = 0; row < rowCount; row++) {
    const clusterClass = Math.floor(row / 30) % classCount
    const flipped = rng.next() < 0.3
    codes[row] =
      rng.next() < 0.01
        ? -1
        : flipped
          ? (clusterClass + 1 + rng.int(classCount - 1)) % classCount
          : clusterClass
    wrongChances[row] = flipped ? 0.5 + 0.5 * rng.next() : rng.next() < 0.3 ? 0 : 0.2 * rng.next()
  }
  const indices = new Int32Array(rowCount * k)
  for (let row = 0; row < rowCount; row++)
    for (let slot = 0; slot < k; slot++) {
      const draw = rng.next()
      indices[row * k + slot] =
        draw < 0.02 ? -1 : draw < 0.2 ? rng.int(rowCount) : 30 * Math.floor(row / 30) + rng.int(30)
    }
  const graph: NeighbourGraph = { rows: rowCount, k, indices, distances: new Float32Array(rowCount * k) }
  return { graph, codes, wrongChances, classCount }
}

/** The same null read off regions gathered as sets: each record's neighbours, then theirs, in the order found. */
function heldBySets(
  graph: NeighbourGraph,
  codes: Int32Array,
  wrongChances: Float64Array,
  classCount: number,
  noiseRate: number,
): Uint8Array {
  const neighboursOf = (row: number) =>
    Array.from(graph.indices.subarray(row * graph.k, (row + 1) * graph.k)).filter(
      (neighbour) => neighbour >= 0,
    )
  return Uint8Array.from(codes, (code, row) => {
    if (code < 0) return 0
    const region = new Set(neighboursOf(row).filter((neighbour) => neighbour !== row))
    for (const member of [...region]) for (const neighbour of neighboursOf(member)) region.add(neighbour)
    region.delete(row)
    let believed = 0
    for (const member of region) if (codes[member] === code) believed += 1 - wrongChances[member]
    const flippedInto = Math.min(0.5, noiseRate) / (classCount - 1)
    return binomialUpperTail(Math.ceil(believed), region.size, flippedInto) < heldLevel ? 1 : 0
  })
}

describe('labelsHeldByRegion on seeded graphs', () => {
  it.each([1, 2, 3])('holds the records that regions gathered as sets hold (seed %i)', (seed) => {
    const { graph, codes, wrongChances, classCount } = seededRegions(seed)
    for (const noiseRate of [0.05, 0.2]) {
      const held = labelsHeldByRegion(graph, codes, wrongChances, classCount, noiseRate)
      const expected = heldBySets(graph, codes, wrongChances, classCount, noiseRate)
      const heldCount = held.reduce((sum, flag) => sum + flag, 0)
      // Both answers are common, so the comparison reaches both sides of the level.
      expect(heldCount).toBeGreaterThan(0.1 * codes.length)
      expect(heldCount).toBeLessThan(0.9 * codes.length)
      expect(Array.from(held)).toEqual(Array.from(expected))
    }
  })
})
