import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import {
  columnMedians,
  crossFittedGap,
  leadingDirections,
  otherClassSpread,
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
  const whitened = whitenRows(features, rows, columnMedians(features, rows), spreads[0])
  const directions = leadingDirections(whitened, rows.length, features.cols, 4, 0, 5)
  const scores = projectRows(whitened, rows.length, features.cols, directions).map(robustScores)
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
      const whitened = whitenRows(features, rows, columnMedians(features, rows), spreads[0])
      const { gap, direction } = crossFittedGap(whitened, rows.length, features.cols, 4, 0, 6)
      const beyond = widestGap(
        robustScores(projectRows(whitened, rows.length, features.cols, [direction])[0]),
        6,
      )
      return { gap, beyond: beyond.beyond }
    }
    const planted = heldOutGap(45)
    expect(planted.beyond).toBe(45)
    expect(heldOutGap(0).gap * 5).toBeLessThan(planted.gap)
  })

  it('measures each class against the others’ spread, floored for silent features', () => {
    const { features, codes } = twoClasses(0)
    const spreads = otherClassSpread(features, codes, 2, 0.02)
    expect(spreads[0][0]).toBeCloseTo(0.02)
    expect(spreads[0][20]).toBeGreaterThan(0.15)
  })
})
