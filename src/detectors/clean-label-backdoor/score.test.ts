import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import {
  columnMedians,
  crossFittedGap,
  leadingDirections,
  otherClassSpread,
  packRows,
  projectRows,
  robustScores,
  whitenRows,
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

function classZeroDirections(planted: number) {
  const { features, codes, carriers } = twoClasses(planted)
  const spreads = otherClassSpread(features, codes, 2, 0.02)
  const rows = Int32Array.from(Array.from(codes.keys()).filter((row) => codes[row] === 0))
  const whitened = packRows(
    whitenRows(features, rows, columnMedians(features, rows), spreads[0]),
    rows.length,
    features.cols,
  )
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
      const spreads = otherClassSpread(features, codes, 2, 0.02)
      const rows = Int32Array.from(Array.from(codes.keys()).filter((row) => codes[row] === 0))
      const whitened = packRows(
        whitenRows(features, rows, columnMedians(features, rows), spreads[0]),
        rows.length,
        features.cols,
      )
      const { gap, direction } = crossFittedGap(whitened, 4, 0, 6)
      const beyond = widestGap(robustScores(projectRows(whitened, [direction])[0]), 6)
      return { gap, beyond: beyond.beyond }
    }
    const planted = heldOutGap(45)
    expect(planted.beyond).toBe(45)
    expect(heldOutGap(0).gap * 5).toBeLessThan(planted.gap)
  })

  it('gives the same directions, gap and scores to the bit from mostly-zero rows held sparse as held whole', () => {
    // Blank-background rows: each feature non-zero one time in five, and 30 records share a pattern in features 0–7.
    const rng = createRng(4)
    const count = 240
    const cols = 60
    const raw = new Float32Array(count * cols)
    for (let at = 0; at < raw.length; at++) if (rng.next() < 0.2) raw[at] = rng.normal()
    for (let row = 0; row < 30; row++)
      for (let col = 0; col < 8; col++) raw[row * cols + col] = 2 + rng.normal()
    const sparse = packRows(raw, count, cols)
    expect(sparse.sparse).toBeDefined()
    const whole = { count, cols, dense: raw }
    const bits = (values: Float64Array) => Buffer.from(values.buffer)
    const fromSparse = crossFittedGap(sparse, 5, 1, 6)
    const fromWhole = crossFittedGap(whole, 5, 1, 6)
    expect(fromSparse.gap).toBe(fromWhole.gap)
    expect(bits(fromSparse.direction)).toEqual(bits(fromWhole.direction))
    const along = [fromWhole.direction, ...leadingDirections(whole, 5, 2, 6)]
    expect(projectRows(sparse, along).map(bits)).toEqual(projectRows(whole, along).map(bits))
  })

  it('measures each class against the others’ spread, floored for silent features', () => {
    const { features, codes } = twoClasses(0)
    const spreads = otherClassSpread(features, codes, 2, 0.02)
    expect(spreads[0][0]).toBeCloseTo(0.02)
    expect(spreads[0][20]).toBeGreaterThan(0.15)
  })
})
