import { describe, expect, it } from 'vitest'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { createRng } from '../../util/rng.js'
import { calibrateComponents, localSparsityRatios, meanNeighbourDistances, rawDetailRatios } from './score.js'

function graphOf(indices: number[][], distances: number[][]): NeighbourGraph {
  return {
    rows: indices.length,
    k: indices[0].length,
    indices: Int32Array.from(indices.flat()),
    distances: Float32Array.from(distances.flat()),
  }
}

describe('neighbour-based outlier scores', () => {
  it('compares a record’s neighbour distance with its neighbours’ own', () => {
    const graph = graphOf(
      [
        [1, 2],
        [0, 2],
        [0, 1],
        [0, 1],
      ],
      [
        [1, 1],
        [1, 1],
        [1, 1],
        [8, 8],
      ],
    )
    const means = meanNeighbourDistances(graph)
    expect(Array.from(means)).toEqual([1, 1, 1, 8])
    const ratios = localSparsityRatios(graph, means)
    expect(ratios[0]).toBeCloseTo(1)
    expect(ratios[3]).toBeCloseTo(8)
  })

  it('keeps a record next to a clump of exact copies finite when copies are more than 5% of the data', () => {
    // Rows 0–3 are copies of each other (distances nil); row 4 sits at an ordinary distance from them.
    const indices = [
      [1, 2],
      [0, 2],
      [0, 1],
      [0, 1],
      [0, 1],
      [4, 6],
      [5, 4],
    ]
    const distances = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [2, 2],
      [2, 3],
      [3, 2],
    ]
    const graph = graphOf(indices, distances)
    const ratios = localSparsityRatios(graph, meanNeighbourDistances(graph))
    expect(ratios[4]).toBeCloseTo(1)
    expect(Array.from(ratios).every(Number.isFinite)).toBe(true)
  })

  it('measures detail in the raw features that the reduced ones do not show', () => {
    const raw = { data: Float32Array.from([0, 0, 1, 0, 0, 3]), rows: 3, cols: 2 }
    const graph = graphOf([[1], [0], [0]], [[1], [1], [1]])
    expect(Array.from(rawDetailRatios(raw, graph))).toEqual([1, 1, 3])
  })

  it('calibrates components into chances that stay low on ordinary data and combine as witnesses', () => {
    const rng = createRng(9)
    const rowCount = 5000
    const first = Float64Array.from({ length: rowCount }, () => rng.normal())
    const second = Float64Array.from({ length: rowCount }, () => rng.normal())
    first[0] = 12
    first[1] = 5.2
    second[1] = 5.2
    const all = Int32Array.from({ length: rowCount }, (_, row) => row)
    const result = calibrateComponents(rowCount, [
      { name: 'first', scores: first, groups: [all], tail: 'gaussian' },
      { name: 'second', scores: second, groups: [all], tail: 'gaussian' },
    ])
    expect(result.suspicion[0]).toBeGreaterThan(0.99)
    expect(result.byComponent[0][1]).toBeLessThan(result.suspicion[1])
    const ordinary = Array.from(result.suspicion.subarray(2))
    expect(ordinary.filter((chance) => chance >= 0.5).length).toBeLessThanOrEqual(2)
  })
})
