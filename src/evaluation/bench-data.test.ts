import { describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../test/fixtures/datasets.js'
import type { Dataset } from '../data/dataset.js'
import { subsetDataset } from '../data/dataset.js'
import { splitBuiltin, splitUserDataset } from './bench-data.js'

function tinyDataset(rowCount: number): Dataset {
  return inMemoryDataset({
    path: 'memory:tiny',
    ids: Array.from({ length: rowCount }, (_, row) => `r${row}`),
    labels: Array.from({ length: rowCount }, (_, row) => (row % 3 === 0 ? 'b' : 'a')),
    sources: Array.from({ length: rowCount }, (_, row) => `s${row % 2}`),
    features: {
      data: Float32Array.from({ length: rowCount * 2 }, (_, index) => index),
      rows: rowCount,
      cols: 2,
    },
    featureNames: ['x', 'y'],
  })
}

describe('benchmark data', () => {
  it('subsets every per-record column consistently and keeps the classes', () => {
    const subset = subsetDataset(tinyDataset(6), [4, 1])
    expect(subset.rowCount).toBe(2)
    expect(subset.ids).toEqual(['r4', 'r1'])
    expect(Array.from(subset.labels!.codes)).toEqual([0, 0])
    expect(subset.labels!.classes).toEqual(['a', 'b'])
    expect(subset.sources).toEqual(['s0', 's1'])
    expect(Array.from(subset.features!.data)).toEqual([8, 9, 2, 3])
  })

  it('splits a user dataset 80/20 into disjoint sets, the same way for the same seed', () => {
    const dataset = tinyDataset(50)
    const split = splitUserDataset('tiny', dataset, 7)
    expect(split.train.rowCount).toBe(40)
    expect(split.test.rowCount).toBe(10)
    const ids = new Set([...split.train.ids, ...split.test.ids])
    expect(ids.size).toBe(50)
    expect(splitUserDataset('tiny', dataset, 7).test.ids).toEqual(split.test.ids)
    expect(splitUserDataset('tiny', dataset, 8).test.ids).not.toEqual(split.test.ids)
  })

  it('refuses a dataset too small to split, without labels, or with nothing for the model to read', () => {
    expect(() => splitUserDataset('tiny', tinyDataset(8), 1)).toThrow(/at least 12 records/)
    const unlabelled = { ...tinyDataset(20), labels: undefined }
    expect(() => splitUserDataset('tiny', unlabelled, 1)).toThrow(
      'memory:tiny: a benchmark needs a label column with at least 2 classes',
    )
    const empty = { ...tinyDataset(20), features: undefined }
    expect(() => splitUserDataset('tiny', empty, 1)).toThrow(/needs a text column or numeric features/)
  })

  it('splits MNIST 8,000/2,000, and its quick subset 2,000/1,000 from the same rows', () => {
    const full = splitBuiltin('mnist')
    const quick = splitBuiltin('mnist', true)
    expect([full.train.rowCount, full.test.rowCount]).toEqual([8000, 2000])
    expect([quick.name, quick.train.rowCount, quick.test.rowCount]).toEqual(['mnist-2000', 2000, 1000])
    expect(quick.train.ids).toEqual(full.train.ids.slice(0, 2000))
    expect(quick.test.ids).toEqual(full.test.ids.slice(0, 1000))
    expect(full.train.imageShape).toEqual({ width: 28, height: 28 })
  })
})
