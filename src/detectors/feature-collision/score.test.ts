import { describe, expect, it } from 'vitest'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { createRng } from '../../util/rng.js'
import {
  classRadii,
  convergenceTarget,
  fitGroupSizes,
  focalInstances,
  groupSizePValue,
  groupSizePValueFrom,
  leaveOutSize,
  sameLabelGroups,
  tightnessPValue,
} from './score.js'

/** A neighbour graph from explicit lists (distances are the positions). */
function graphOf(lists: number[][]): NeighbourGraph {
  const k = lists[0].length
  return {
    rows: lists.length,
    k,
    indices: Int32Array.from(lists.flat()),
    distances: Float32Array.from(lists.flatMap((list) => list.map((_, position) => position + 1))),
  }
}

// Rows 0–3 are class 0, 4–5 are class 1 and sit among class 0; row 6 is class 1 elsewhere.
const codes = Int32Array.from([0, 0, 0, 0, 1, 1, 1])
const graph = graphOf([
  [1, 2, 3],
  [0, 2, 4],
  [1, 3, 5],
  [2, 1, 0],
  [5, 2, 1],
  [4, 2, 3],
  [5, 4, 0],
])

describe('feature-collision groups', () => {
  it('links same-label records that are each other’s neighbours, and only those', () => {
    const groups = sameLabelGroups(graph, codes, 2)
    expect(new Set([groups[0], groups[1], groups[2], groups[3]]).size).toBe(1)
    expect(groups[4]).toBe(groups[5])
    expect(groups[6]).not.toBe(groups[4])
  })

  it('finds the record of another label whose neighbourhood the group crowds', () => {
    const groups = sameLabelGroups(graph, codes, 2)
    const focal = focalInstances(graph, codes, groups, new Set([groups[4]]))
    expect(focal.get(groups[4])).toEqual({ row: 1, members: 1 })
  })

  it('calls a group far larger than the others unlikely and an ordinary one likely', () => {
    const others = [...Array<number>(80).fill(2), ...Array<number>(15).fill(3), 4, 5]
    expect(groupSizePValue(40, others, 98)).toBeLessThan(1e-4)
    expect(groupSizePValue(3, others, 98)).toBeGreaterThan(0.5)
    expect(groupSizePValue(1, others, 98)).toBe(1)
    // Heavy-tailed sizes, as in mixed text classes, make a large group ordinary.
    const heavy = Array.from({ length: 200 }, (_, index) => Math.round(2 * 1.03 ** index))
    expect(groupSizePValue(40, heavy, 200)).toBeGreaterThan(0.5)
  })

  it('gives each group the same p-value from one fit with it left out as from a refit on the others', () => {
    const sizes = [1, 2, 2, 3, 2, 7, 1, 40, 5, 2, 3]
    const fit = fitGroupSizes(sizes)
    sizes.forEach((size, index) => {
      const others = sizes.filter((_, other) => other !== index)
      const fromFit = groupSizePValueFrom(size, leaveOutSize(fit, size), sizes.length)
      expect(fromFit).toBeCloseTo(groupSizePValue(size, others, sizes.length), 12)
    })
  })
})

describe('convergenceTarget', () => {
  /**
   * Class 0 around the origin and class 1 around (3, …, 3) in the first 12 of 16 features (the other 4 are faint
   * noise in both, as trailing principal components are); 20 records of class 0 are moved 80% of the way toward one
   * record of class 1 in the first 12 features only, as a collision in a learned feature space would.
   */
  function collided(target: number) {
    const rng = createRng(4)
    const rows = 400
    const cols = 16
    const codes = Int32Array.from({ length: rows }, (_, row) => (row < 200 ? 0 : 1))
    const data = Float32Array.from({ length: rows * cols }, (_, cell) =>
      cell % cols >= 12 ? 0.2 * rng.normal() : (Math.floor(cell / cols) < 200 ? 0 : 3) + rng.normal(),
    )
    const members = Int32Array.from({ length: 20 }, (_, index) => index)
    for (const row of members)
      for (let col = 0; col < 12; col++)
        data[row * cols + col] =
          0.2 * data[row * cols + col] + 0.8 * data[target * cols + col] + 0.1 * rng.normal()
    return { features: { data, rows, cols }, codes, members }
  }

  it('finds the record of the other class the moved records converge on, though they stop short of it', () => {
    for (const target of [210, 333, 399]) {
      const { features, codes, members } = collided(target)
      expect(convergenceTarget(features, codes, members)).toBe(target)
    }
  })
})

describe('tightnessPValue', () => {
  /** One class of 200 records at radii 1…200 in a one-neighbour graph; `members` are rows of it. */
  function radiiOf(values: number[]) {
    const rows = values.length
    const graph: NeighbourGraph = {
      rows,
      k: 1,
      indices: Int32Array.from({ length: rows }, (_, row) => (row + 1) % rows),
      distances: Float32Array.from(values),
    }
    const classCodes = new Int32Array(rows)
    return { radii: classRadii(graph, classCodes, 1, 1), classCodes }
  }
  const values = Array.from({ length: 200 }, (_, row) => row + 1)

  it('finds a group closer together than its class, and no group at its rim', () => {
    const { radii, classCodes } = radiiOf(values)
    const tight = Int32Array.from({ length: 30 }, (_, index) => index)
    const rim = Int32Array.from({ length: 30 }, (_, index) => 199 - index)
    expect(tightnessPValue(radii, classCodes, tight)).toBeLessThan(1e-6)
    expect(tightnessPValue(radii, classCodes, rim)).toBe(1)
  })

  it('gives a group drawn at random from its class no evidence', () => {
    const { radii, classCodes } = radiiOf(values)
    const rng = createRng(5)
    let below = 0
    for (let draw = 0; draw < 200; draw++) {
      const members = new Set<number>()
      while (members.size < 30) members.add(rng.int(200))
      if (tightnessPValue(radii, classCodes, Int32Array.from(members)) < 0.01) below++
    }
    expect(below).toBeLessThanOrEqual(5)
  })
})
