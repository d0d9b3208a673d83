import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mnistDataset } from '../../../test/fixtures/datasets.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import type { LinalgBackend } from '../backend.js'
import { createDefaultBackend } from '../default-backend.js'
import { buildCentroidIndex, type CentroidIndex, findNearestLists } from './coarse.js'
import { assignToCentroids, trainCentroids } from './kmeans.js'

const digits = mnistDataset(3000).features as FeatureMatrix
const lists = 150
const count = 8

describe('the centroid index', () => {
  let backend: LinalgBackend
  let centroids: FeatureMatrix
  let index: CentroidIndex
  let exhaustive: Int32Array

  beforeAll(async () => {
    backend = await createDefaultBackend()
    centroids = await trainCentroids(backend, digits, {
      count: lists,
      sampleRows: 3000,
      iterations: 4,
      seed: 1,
    })
    // 49 candidates of 150 lists: a third of the comparisons (measured: 94% of rows get the same nearest list, and
    // 88% of the 8 nearest lists are shared).
    index = await buildCentroidIndex(backend, centroids, { candidates: 4 * Math.sqrt(lists), seed: 2 })
    exhaustive = await assignToCentroids(backend, digits, centroids, count)
  })

  afterAll(async () => {
    await backend.dispose()
  })

  it('gives most rows of real digits the nearest list and nearest lists exhaustive comparison gives', async () => {
    expect(index.reach).toBeGreaterThanOrEqual(49)
    expect(index.reach).toBeLessThan(lists)
    const found = await findNearestLists(backend, index, digits, count)
    let sameNearest = 0
    let shared = 0
    for (let row = 0; row < digits.rows; row++) {
      const exact = exhaustive.subarray(row * count, (row + 1) * count)
      const approximate = found.subarray(row * count, (row + 1) * count)
      if (approximate[0] === exact[0]) sameNearest++
      for (const list of approximate) if (exact.includes(list)) shared++
      expect(new Set(approximate).size).toBe(count)
    }
    expect(sameNearest / digits.rows).toBeGreaterThan(0.9)
    expect(shared / (digits.rows * count)).toBeGreaterThan(0.85)
  })

  it('compares every row with every list when a group is given them all', async () => {
    const whole = await buildCentroidIndex(backend, centroids, { candidates: lists, seed: 2 })
    expect(whole.reach).toBe(lists)
    expect([...(await findNearestLists(backend, whole, digits, count))]).toEqual([...exhaustive])
  })
})
