import { describe, expect, it } from 'vitest'
import { mnistDataset } from '../../../test/fixtures/datasets.js'
import { createRng } from '../../util/rng.js'
import {
  classLevelCounts,
  columnMedians,
  crossFittedGap,
  leadingDirections,
  levelCounts,
  levelMatrix,
  otherClassScores,
  packRows,
  projectRows,
  robustScores,
  rowLevelCounts,
  scoreRows,
  widestGap,
} from './score.js'

/** Two classes of noisy 40-feature records; the first 10 features are silent in class 1, and `planted` class-0 records carry a pattern there. */
function twoClasses(planted: number) {
  const rng = createRng(9)
  const rows = 600
  const cols = 40
  const data = new Float32Array(rows * cols)
  const codes = Int32Array.from({ length: rows }, (_, row) => row % 2)
  for (let row = 0; row < rows; row++)
    for (let col = 0; col < cols; col++) {
      if (col < 10 && codes[row] === 1) continue
      data[row * cols + col] = col < 10 ? 0 : Math.min(1, Math.max(0, 0.5 + 0.2 * rng.normal()))
    }
  const carriers: number[] = []
  for (let row = 0; row < rows && carriers.length < planted; row += 2) {
    carriers.push(row)
    for (let col = 0; col < 10; col++) data[row * cols + col] = 0.05 * (1 + Math.sin(col))
  }
  return { features: { data, rows, cols }, codes, carriers }
}

/** Class 0's records in normal scores among class 1's values, centred on class 0's median. */
function classZeroRows(
  features: ReturnType<typeof twoClasses>['features'],
  codes: Int32Array,
  rows: Int32Array,
) {
  const levelled = levelMatrix(features)
  const scores = otherClassScores(levelled, rows, levelCounts(levelled, codes))
  return packRows(
    scoreRows(levelled, rows, columnMedians(levelled, rows), scores),
    rows.length,
    features.cols,
  )
}

function classZeroDirections(planted: number) {
  const { features, codes, carriers } = twoClasses(planted)
  const rows = Int32Array.from(Array.from(codes.keys()).filter((row) => codes[row] === 0))
  const whitened = classZeroRows(features, codes, rows)
  const directions = leadingDirections(whitened, 4, 0, 5)
  const scores = projectRows(whitened, directions).map(robustScores)
  return { rows, carriers, scores }
}

describe('clean-label-backdoor scores', () => {
  it('puts exactly the records carrying a pattern beyond the widest gap along one leading direction', () => {
    const { rows, carriers, scores } = classZeroDirections(45)
    const best = scores.reduce((a, b) => (widestGap(b, 5).width > widestGap(a, 5).width ? b : a))
    const gap = widestGap(best, 5)
    expect(gap.beyond).toBe(carriers.length)
    const threshold = Float64Array.from(best).sort().reverse()[gap.beyond - 1]
    const beyond = Array.from(rows.keys()).filter((index) => best[index] >= threshold)
    expect(beyond.map((index) => rows[index]).sort((a, b) => a - b)).toEqual(carriers)
  })

  it('leaves no wide gap in a class that carries no pattern', () => {
    const planted = classZeroDirections(45).scores.map((scores) => widestGap(scores, 5).width)
    const clean = classZeroDirections(0).scores.map((scores) => widestGap(scores, 5).width)
    expect(Math.max(...clean) * 5).toBeLessThan(Math.max(...planted))
  })

  it('sets the carriers apart along directions fitted without them, and a clean class not at all', () => {
    const heldOutGap = (planted: number) => {
      const { features, codes } = twoClasses(planted)
      const rows = Int32Array.from(Array.from(codes.keys()).filter((row) => codes[row] === 0))
      const whitened = classZeroRows(features, codes, rows)
      const { gap, direction } = crossFittedGap(whitened, 4, 0, 6)
      const beyond = widestGap(robustScores(projectRows(whitened, [direction])[0]), 6)
      return { gap, beyond: beyond.beyond }
    }
    const planted = heldOutGap(45)
    expect(planted.beyond).toBe(45)
    expect(heldOutGap(0).gap * 5).toBeLessThan(planted.gap)
  })

  it('finds a gap of 0/1 values as wide shuffled, and a pattern’s gap far wider than shuffled', () => {
    // 300 records of 30 features bought or not; one feature held by two records in five.
    const rng = createRng(4)
    const rows = 300
    const cols = 30
    const data = new Float32Array(rows * cols)
    for (let row = 0; row < rows; row++)
      for (let col = 0; col < cols; col++)
        data[row * cols + col] = rng.next() < (col === 0 ? 0.4 : 0.05) ? 1 : 0
    const binary = crossFittedGap(packRows(data, rows, cols), 4, 0, 6)
    expect(binary.gap).toBeGreaterThan(1)
    expect(binary.chance).toBeGreaterThan(binary.gap / 2)
    const { features, codes } = twoClasses(45)
    const classRows = Int32Array.from(Array.from(codes.keys()).filter((row) => codes[row] === 0))
    const pattern = crossFittedGap(classZeroRows(features, codes, classRows), 4, 0, 6)
    expect(pattern.chance * 2).toBeLessThan(pattern.gap)
  })

  it('gives the same gap, directions and scores to the bit from a digit class held sparse as held whole', () => {
    // Real digits: where a record's pixel is at the class median's level (most of the blank background) it
    // deviates by exactly 0, so the rows are held as their non-zero entries.
    const { features, labels } = mnistDataset(1500)
    const codes = labels!.codes
    const rows = Int32Array.from(Array.from(codes.keys()).filter((row) => codes[row] === 1))
    const cols = features!.cols
    const levelled = levelMatrix(features!)
    const scores = otherClassScores(levelled, rows, levelCounts(levelled, codes))
    const dense = scoreRows(levelled, rows, columnMedians(levelled, rows), scores)
    const sparse = packRows(dense, rows.length, cols)
    expect(sparse.sparse).toBeDefined()
    const whole = { count: rows.length, cols, dense }
    const bits = (values: Float64Array) => Buffer.from(values.buffer)
    const fromSparse = crossFittedGap(sparse, 5, 3, 6)
    const fromWhole = crossFittedGap(whole, 5, 3, 6)
    expect(fromSparse.gap).toBeGreaterThan(0)
    expect(fromSparse.gap).toBe(fromWhole.gap)
    expect(fromSparse.chance).toBeGreaterThan(0)
    expect(fromSparse.chance).toBe(fromWhole.chance)
    expect(bits(fromSparse.along)).toEqual(bits(fromWhole.along))
    expect(bits(fromSparse.direction)).toEqual(bits(fromWhole.direction))
    const along = [fromWhole.direction, ...leadingDirections(whole, 5, 2, 6)]
    expect(leadingDirections(sparse, 5, 2, 6).map(bits)).toEqual(along.slice(1).map(bits))
    expect(projectRows(sparse, along).map(bits)).toEqual(projectRows(whole, along).map(bits))
  })

  it('levels pixels scaled on the way to the same levels as a scaled copy of them', () => {
    // Digits in signed byte units (−128…127), as a zero-centred export holds them: every level but the background's
    // depends on the scaling, and one value in 255 landing a level off would show.
    const { features } = mnistDataset(500)
    const raw = { ...features!, data: features!.data.map((value) => Math.round(value * 255) - 128) }
    const low = -128
    const weight = 1 / 255
    const copy = { ...raw, data: raw.data.map((value) => (value - low) * weight) }
    const levelled = levelMatrix(raw, low, weight).levels
    const expected = levelMatrix(copy).levels
    expect(levelled.filter((level, index) => level !== expected[index]).length).toBe(0)
    expect(new Set(levelled).size).toBeGreaterThan(200)
  })

  it('counts every class’s levels once, keeping those of the classes analysed', () => {
    const { features, codes } = twoClasses(45)
    const levelled = levelMatrix(features)
    const classRows = [0, 1].map((code) =>
      Int32Array.from(Array.from(codes.keys()).filter((row) => codes[row] === code)),
    )
    // Only class 1 is analysed; an unlabelled record counts in neither.
    const labelled = Int32Array.from(codes, (code, row) => (row === 0 ? -1 : code))
    const counts = classLevelCounts(
      levelled,
      [classRows[0].subarray(1), classRows[1]],
      (rows) => rows[0] % 2 === 1,
    )
    expect(Array.from(counts.all)).toEqual(Array.from(levelCounts(levelled, labelled)))
    expect(counts.own[0]).toBeUndefined()
    expect(Array.from(counts.own[1]!)).toEqual(Array.from(rowLevelCounts(levelled, classRows[1])))
  })

  it('scores each value among the other classes’ values, bounded where they are silent', () => {
    const { features, codes } = twoClasses(45)
    const rows = Int32Array.from(Array.from(codes.keys()).filter((row) => codes[row] === 0))
    const levelled = levelMatrix(features)
    const scores = otherClassScores(levelled, rows, levelCounts(levelled, codes))
    const at = (col: number, value: number) => scores[col * 256 + Math.round(value * 255)]
    // Feature 0 is 0 in all 300 records of class 1: the pattern's value there is beyond every one of them, but no
    // further than 300 records can tell.
    expect(at(0, 0)).toBeCloseTo(0, 1)
    const beyond = at(0, 0.05)
    expect(beyond).toBeGreaterThan(2.5)
    expect(beyond).toBeLessThan(3)
    // Feature 20 is noise around one half in both classes.
    expect(Math.abs(at(20, 0.5))).toBeLessThan(0.2)
    expect(at(20, 0.9)).toBeGreaterThan(1.5)
  })
})
