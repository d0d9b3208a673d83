import { describe, expect, it } from 'vitest'
import { createRng } from '../util/rng.js'
import {
  createSharedColumnSort,
  sharedColumnSummaries,
  sortClaimedColumns,
  summarizeColumns,
} from './columns.js'

describe('column summaries', () => {
  it('summarise a subset of rows from the summaries of every row exactly as by sorting the subset', () => {
    const rng = createRng(4)
    const rows = 3000
    const cols = 3
    const data = new Float32Array(rows * cols)
    for (let index = 0; index < data.length; index++) {
      const col = index % cols
      data[index] = col === 0 ? rng.normal() : col === 1 ? rng.int(4) : rng.next() < 0.5 ? -0 : 0
    }
    data[6 * cols] = Number.NaN
    data[8 * cols + 1] = Number.POSITIVE_INFINITY
    const matrix = { data, rows, cols }
    const whole = summarizeColumns(matrix)
    const subset = Int32Array.from({ length: rows }, (_, row) => row).filter((row) => row % 3 !== 1)
    const derived = summarizeColumns(matrix, { rows: subset, whole })
    const sorted = summarizeColumns(matrix, { rows: subset })
    expect(derived.map((summary) => summary.distribution)).toEqual(
      sorted.map((summary) => summary.distribution),
    )
    expect(derived.map((summary) => summary.distinct)).toEqual(sorted.map((summary) => summary.distinct))
    // Signed zeros keep their order: -0 sorts before 0 either way.
    const zeros = derived[2].distribution.values
    expect(zeros.findIndex((value) => Object.is(value, 0))).toBe(
      sorted[2].distribution.values.findIndex((value) => Object.is(value, 0)),
    )
    expect(derived[0].distribution.count).toBe(subset.length - 1)
  })

  it('sorts columns shared by two threads exactly as summarizeColumns, whoever sorts each column', () => {
    const rng = createRng(9)
    const rows = 2000
    const cols = 5
    const data = new Float32Array(rows * cols)
    for (let index = 0; index < data.length; index++) {
      const col = index % cols
      data[index] =
        col === 0 ? rng.normal() : col === 1 ? rng.int(5) : col === 2 ? -rng.next() : rng.next() * 50
    }
    data[3 * cols + 4] = Number.NaN
    const matrix = { data, rows, cols }
    const expected = summarizeColumns(matrix)
    // Every column sorted by the other thread before this one asks.
    const byOther = createSharedColumnSort(matrix)
    expect(sortClaimedColumns(matrix, byOther)).toBeGreaterThan(0)
    expect(sharedColumnSummaries(matrix, byOther)).toEqual(expected)
    // None sorted by the other thread: this one claims them all.
    expect(sharedColumnSummaries(matrix, createSharedColumnSort(matrix))).toEqual(expected)
    // A block claimed by a thread that never finishes it: this thread waits a while, then sorts it itself.
    const stalled = createSharedColumnSort(matrix)
    Atomics.add(stalled.state, 0, 1)
    const summaries = sharedColumnSummaries(matrix, stalled)
    expect(summaries).toEqual(expected)
    expect(summaries[4].distribution.count).toBe(rows - 1)
  })
})
