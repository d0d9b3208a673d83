import { describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../../data/matrix.js'
import { createRng } from '../../util/rng.js'
import { findCopiedOriginals, testCentralMinority } from './central-minority.js'
import type { GroupAnalysis } from './score.js'

/**
 * `count` points in two dimensions with spread `spread` whose mean is the origin, and the first is the origin itself:
 * the original among its copies.
 */
function cloud(count: number, spread: number, seed: number): FeatureMatrix {
  const rng = createRng(seed)
  const data = new Float32Array(2 * count)
  for (let index = 2; index < data.length; index++) data[index] = spread * rng.normal()
  for (const col of [0, 1]) {
    let sum = 0
    for (let row = 1; row < count; row++) sum += data[2 * row + col]
    for (let row = 1; row < count; row++) data[2 * row + col] -= sum / (count - 1)
  }
  return { data, rows: count, cols: 2 }
}

const allRows = (count: number) => Int32Array.from({ length: count }, (_, row) => row)

/** A large group of the given rows and labels, as the scoring leaves it before the test. */
function largeGroup(rows: Int32Array, codes: Int32Array): GroupAnalysis {
  const labelCounts = new Int32Array(2)
  for (const row of rows) labelCounts[codes[row]]++
  return {
    rows,
    kind: 'contradiction',
    large: true,
    excess: 0.9,
    naturalCount: 1,
    labelCounts,
    outsideCounts: new Int32Array(2),
    outsideTotal: 0,
    support: Float64Array.of(0.2, 0.8),
    original: rows[1],
    bestLabel: 1,
  }
}

describe('testCentralMinority', () => {
  it('finds an original given one label at the centre of 300 copies given another', () => {
    const features = cloud(300, 1, 1)
    const codes = new Int32Array(300).fill(1)
    codes[0] = 0
    const test = testCentralMinority(allRows(300), codes, features, 2)
    expect(test).toMatchObject({ majority: 1, minority: 1, centralMember: 0 })
    expect(test.pValue).toBeLessThan(0.01)
  })

  it('finds an original among honest records of its label inside the cloud of copies', () => {
    // Nine records of the original's label lie within half the copies' spread of it.
    const features = cloud(400, 1, 2)
    const codes = new Int32Array(400).fill(1)
    for (let row = 0; row < 10; row++) {
      codes[row] = 0
      features.data[2 * row] *= 0.5
      features.data[2 * row + 1] *= 0.5
    }
    expect(testCentralMinority(allRows(400), codes, features, 2).pValue).toBeLessThan(0.001)
  })

  it('holds its level where the labels of natural copies are flipped at random', () => {
    const rng = createRng(3)
    let significant = 0
    const draws = 400
    for (let draw = 0; draw < draws; draw++) {
      const features = cloud(150, 1, 100 + draw)
      const codes = Int32Array.from({ length: 150 }, () => (rng.next() < 0.1 ? 0 : 1))
      if (testCentralMinority(allRows(150), codes, features, 2).pValue < 0.05) significant++
    }
    expect(significant / draws).toBeLessThan(0.08)
  })

  it('never speaks for exact copies, nor where no label holds a majority', () => {
    const same: FeatureMatrix = { data: new Float32Array(2 * 200), rows: 200, cols: 2 }
    const codes = new Int32Array(200).fill(1)
    codes[0] = 0
    expect(testCentralMinority(allRows(200), codes, same, 2).pValue).toBeGreaterThan(0.5)
    const halves = Int32Array.from({ length: 200 }, (_, row) => row % 2)
    expect(testCentralMinority(allRows(200), halves, cloud(200, 1, 4), 2)).toMatchObject({
      majority: -1,
      pValue: 1,
    })
  })
})

describe('findCopiedOriginals', () => {
  it('reads a large group around its original as a flood of copies, with the original’s label as right', () => {
    const features = cloud(300, 1, 5)
    const codes = new Int32Array(300).fill(1)
    codes[0] = 0
    const found = findCopiedOriginals([largeGroup(allRows(300), codes)], codes, features, 2)
    expect(found.tested).toBe(1)
    expect(found.pValue).toBeLessThan(0.01)
    const [group] = found.analyses
    expect(group).toMatchObject({ kind: 'flood', original: 0, bestLabel: 0, copiesPValue: found.pValue })
  })

  it('tests no group too small to reach significance, and leaves the groups as they were', () => {
    const features = cloud(11, 1, 6)
    const codes = new Int32Array(11).fill(1)
    codes[0] = 0
    const group = largeGroup(allRows(11), codes)
    const found = findCopiedOriginals([group], codes, features, 2)
    expect(found).toMatchObject({ tested: 0, pValue: 1 })
    expect(found.analyses[0]).toBe(group)
  })
})
