import { describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { createRng } from '../../util/rng.js'
import { distanceGaps, linkIsolatedGroups } from './isolated-groups.js'
import { type Linker, medianKthDistance } from './links.js'
import { collectGroups, createUnionFind } from './union-find.js'

const cols = 16

/** `rowCount` points of a standard normal cloud, then `copies` of the first one jittered by `noise` per column. */
function cloudWithCopies(rowCount: number, copies: number, noise: number, seed: number): FeatureMatrix {
  const rng = createRng(seed)
  const rows = rowCount + copies
  const data = new Float32Array(rows * cols)
  for (let index = 0; index < rowCount * cols; index++) data[index] = rng.normal()
  for (let copy = 0; copy < copies; copy++)
    for (let col = 0; col < cols; col++)
      data[(rowCount + copy) * cols + col] = data[col] + noise * rng.normal()
  return { data, rows, cols }
}

/** Exact k-nearest-neighbour graph, nearest first. */
function exactGraph(features: FeatureMatrix, k: number): NeighbourGraph {
  const { data, rows } = features
  const indices = new Int32Array(rows * k)
  const distances = new Float32Array(rows * k)
  for (let row = 0; row < rows; row++) {
    const others = Array.from({ length: rows }, (_, other) => other).filter((other) => other !== row)
    const distance = (other: number) => {
      let sum = 0
      for (let col = 0; col < cols; col++) sum += (data[row * cols + col] - data[other * cols + col]) ** 2
      return Math.sqrt(sum)
    }
    const measured = others.map((other) => ({ other, gap: distance(other) })).sort((a, b) => a.gap - b.gap)
    measured.slice(0, k).forEach(({ other, gap }, position) => {
      indices[row * k + position] = other
      distances[row * k + position] = gap
    })
  }
  return { rows, k, indices, distances }
}

function linkedGroups(features: FeatureMatrix) {
  const linker: Linker = {
    sets: createUnionFind(features.rows),
    evidence: new Uint8Array(features.rows),
    pairsCompared: 0,
  }
  const links = linkIsolatedGroups(linker, exactGraph(features, 30), { minGroup: 5, significance: 0.01 })
  return { links, groups: collectGroups(linker.sets) }
}

describe('linkIsolatedGroups', () => {
  it('links a ball of noisy copies with their original, though the copies are not near-identical', () => {
    const features = cloudWithCopies(600, 10, 0.2, 1)
    // The copies lie farther apart than the dense links' bound (8% of the median tenth-neighbour distance).
    const copyGap = exactGraph(features, 10).distances[600 * 10]
    expect(copyGap).toBeGreaterThan(0.08 * medianKthDistance(exactGraph(features, 10)))
    const { groups } = linkedGroups(features)
    expect(groups).toHaveLength(1)
    expect(Array.from(groups[0])).toEqual([0, ...Array.from({ length: 10 }, (_, copy) => 600 + copy)])
  })

  it('links nothing in a smooth cloud', () => {
    for (const seed of [2, 3, 4]) expect(linkedGroups(cloudWithCopies(600, 0, 0, seed)).links).toBe(0)
  })

  it('weighs each jump by how many neighbours lie before it', () => {
    const graph: NeighbourGraph = {
      rows: 1,
      k: 8,
      indices: Int32Array.from({ length: 8 }, (_, index) => index + 1),
      distances: Float32Array.of(1, 1, 1, 1, 1, 1.1, 2, 2.1),
    }
    const gaps = distanceGaps(graph, 4)
    expect(gaps.members[0]).toBe(6)
    expect(gaps.score[0]).toBeCloseTo(6 * Math.log(2 / 1.1))
  })
})
