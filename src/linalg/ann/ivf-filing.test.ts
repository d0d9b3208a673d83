import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mnistDataset } from '../../../test/fixtures/datasets.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import type { LinalgBackend } from '../backend.js'
import { createDefaultBackend } from '../default-backend.js'
import { searchListRange } from './ivf.js'
import type { IvfSearchPlan } from './lists.js'

const k = 5
const digits = mnistDataset(600)
const matrix = digits.features as FeatureMatrix
const codes = digits.labels!.codes
// The ten digit classes are the lists; list 10 holds the first two rows alone and has nothing filed under it, too
// few for k neighbours.
const tiny = 10
const listOf = Int32Array.from(codes, (code, row) => (row < 2 ? tiny : code))
// Every third row is filed under the next digit's list as well.
const secondList = (row: number) => (row >= 2 && row % 3 === 0 ? (codes[row] + 1) % 10 : -1)

function groupRows(
  lists: number,
  listOfRow: (row: number) => number,
): { rows: Int32Array; starts: Int32Array } {
  const members: number[][] = Array.from({ length: lists }, () => [])
  for (let row = 0; row < matrix.rows; row++) {
    const list = listOfRow(row)
    if (list >= 0) members[list].push(row)
  }
  const starts = new Int32Array(lists + 1)
  members.forEach((rows, list) => {
    starts[list + 1] = starts[list] + rows.length
  })
  return { rows: Int32Array.from(members.flat()), starts }
}

const own = groupRows(11, (row) => listOf[row])
const filed = groupRows(11, secondList)
const reach = 3
const plan: IvfSearchPlan = {
  k,
  metric: 'euclidean',
  probes: 2,
  rows: own.rows,
  starts: own.starts,
  filed: filed.rows,
  filedStarts: filed.starts,
  nearest: Int32Array.from(
    { length: 11 * reach },
    (_, entry) => (Math.floor(entry / reach) + 1 + (entry % reach)) % 11,
  ),
  reach,
}

function distance(a: number, b: number): number {
  let sum = 0
  for (let col = 0; col < matrix.cols; col++) {
    const difference = matrix.data[a * matrix.cols + col] - matrix.data[b * matrix.cols + col]
    sum += difference * difference
  }
  return Math.sqrt(sum)
}

describe('searchListRange with rows filed under several lists', () => {
  let backend: LinalgBackend
  let whole: Awaited<ReturnType<typeof searchListRange>>

  beforeAll(async () => {
    backend = await createDefaultBackend()
    whole = await searchListRange(backend, matrix, plan, 0, 11)
  })

  afterAll(async () => {
    await backend.dispose()
  })

  it("finds each row's k nearest among its list's own rows and the rows filed under it", () => {
    for (let list = 0; list < tiny; list++) {
      const candidates = new Set([
        ...own.rows.subarray(own.starts[list], own.starts[list + 1]),
        ...filed.rows.subarray(filed.starts[list], filed.starts[list + 1]),
      ])
      for (let position = own.starts[list]; position < own.starts[list + 1]; position++) {
        const row = own.rows[position]
        const found = [...whole.indices.subarray(position * k, (position + 1) * k)]
        expect(found).not.toContain(row)
        expect(found.every((neighbour) => candidates.has(neighbour))).toBe(true)
        const farthest = whole.distances[position * k + k - 1]
        expect(farthest).toBeCloseTo(distance(row, found[k - 1]), 3)
        let nearestLeft = Number.POSITIVE_INFINITY
        for (const other of candidates)
          if (other !== row && !found.includes(other))
            nearestLeft = Math.min(nearestLeft, distance(row, other))
        expect(nearestLeft).toBeGreaterThanOrEqual(farthest - 1e-3)
      }
    }
  })

  it('makes up k neighbours for a list with fewer candidates from the rows of other lists', () => {
    for (let position = own.starts[tiny]; position < own.starts[tiny + 1]; position++) {
      const found = whole.indices.subarray(position * k, (position + 1) * k)
      expect(new Set(found).size).toBe(k)
      expect(found).not.toContain(own.rows[position])
    }
  })

  it('gives each run of lists searched alone the neighbours the whole search gives its rows', async () => {
    const first = await searchListRange(backend, matrix, plan, 0, 4)
    const rest = await searchListRange(backend, matrix, plan, 4, 11)
    expect([...first.indices, ...rest.indices]).toEqual([...whole.indices])
    expect([...first.distances, ...rest.distances]).toEqual([...whole.distances])
  })
})
