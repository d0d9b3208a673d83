import { describe, expect, it } from 'vitest'
import { zooDataset } from '../../../test/fixtures/zoo.js'
import { applyAttack } from '../../attacks/registry.js'
import type { Dataset } from '../../data/dataset.js'
import { averagePrecision } from '../../evaluation/metrics.js'
import { standardize } from '../../features/standardize.js'
import { fnv1a } from '../../util/hashing.js'
import { measuredColumns, nearestCoreLogRatios } from './robust-distance.js'

function classRows(dataset: Dataset): Int32Array[] {
  const { codes, classes } = dataset.labels!
  return classes.map((_, code) => Int32Array.from(codes.keys()).filter((row) => codes[row] === code))
}

function scoresOf(dataset: Dataset) {
  const rowKeys = Uint32Array.from(dataset.ids, (id) => fnv1a(id))
  return nearestCoreLogRatios(standardize(dataset.features!).matrix, classRows(dataset), rowKeys)
}

function median(values: Iterable<number>): number {
  const sorted = Float64Array.from(values).sort()
  return sorted[sorted.length >> 1]
}

describe('nearestCoreLogRatios on the iris flowers', () => {
  const iris = zooDataset('iris')

  it('ranks a tenth of noisy flowers with random species first, though they are as many as the fit may lose', () => {
    const run = applyAttack('availability', iris, { rate: 0.1, mode: 'noise' }, 3)
    const { scores } = scoresOf(run.dataset)
    const positives = new Uint8Array(run.dataset.rowCount)
    for (const row of run.poisonedRows) positives[row] = 1
    expect(averagePrecision(scores, positives)).toBeGreaterThanOrEqual(0.9)
  })

  it('finds a flower with a wrong species at home in its own', () => {
    const run = applyAttack('label-flip', iris, { rate: 0.1 }, 3)
    const { scores, nearest } = scoresOf(run.dataset)
    const flipped = Array.from(run.poisonedRows)
    const clean = Array.from(scores.keys()).filter((row) => !flipped.includes(row))
    expect(median(flipped.map((row) => scores[row]))).toBeLessThan(
      median(clean.map((row) => scores[row])) + 1,
    )
    const homes = flipped.filter((row) => nearest[row] === iris.labels!.codes[row])
    expect(homes.length).toBeGreaterThanOrEqual(0.8 * flipped.length)
  })
})

describe('nearestCoreLogRatios with one covariance pooled over the classes', () => {
  it('ranks a tenth of noisy 8×8 digits first where some class has fewer than five records a pixel', () => {
    const run = applyAttack('availability', zooDataset('digits-8'), { rate: 0.1, mode: 'noise' }, 1)
    const rowKeys = Uint32Array.from(run.dataset.ids, (id) => fnv1a(id))
    const all = Int32Array.from({ length: run.dataset.rowCount }, (_, row) => row)
    const space = measuredColumns(standardize(run.dataset.features!).matrix, all, rowKeys)
    const groups = classRows(run.dataset)
    expect(Math.min(...groups.map((rows) => rows.length))).toBeLessThan(5 * space.cols)
    const positives = new Uint8Array(run.dataset.rowCount)
    for (const row of run.poisonedRows) positives[row] = 1
    const { scores } = nearestCoreLogRatios(space, groups, rowKeys, 'pooled')
    expect(averagePrecision(scores, positives)).toBeGreaterThanOrEqual(0.95)
  })

  it('still finds a flipped iris flower at home in its own species', () => {
    const run = applyAttack('label-flip', zooDataset('iris'), { rate: 0.1 }, 3)
    const rowKeys = Uint32Array.from(run.dataset.ids, (id) => fnv1a(id))
    const space = standardize(run.dataset.features!).matrix
    const { nearest } = nearestCoreLogRatios(space, classRows(run.dataset), rowKeys, 'pooled')
    const homes = Array.from(run.poisonedRows).filter(
      (row) => nearest[row] === zooDataset('iris').labels!.codes[row],
    )
    expect(homes.length).toBeGreaterThanOrEqual(0.8 * run.poisonedRows.length)
  })
})

describe('measuredColumns', () => {
  it('keeps the four measurements of the iris flowers and leaves out a flag column beside them', () => {
    const iris = zooDataset('iris')
    const { data, rows } = iris.features!
    const flagged = new Float32Array(rows * 5)
    for (let row = 0; row < rows; row++) {
      flagged.set(data.subarray(row * 4, row * 4 + 4), row * 5 + 1)
      flagged[row * 5] = iris.labels!.codes[row] === 0 ? 1 : 0
    }
    const all = Int32Array.from({ length: rows }, (_, row) => row)
    const kept = measuredColumns({ data: flagged, rows, cols: 5 }, all, new Uint32Array(rows))
    expect(kept).toEqual(iris.features)
  })
})
