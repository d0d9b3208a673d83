import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { leadingCoordinates, otherClassSpread, whitenClass } from './score.js'

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

describe('clean-label-backdoor scores', () => {
  it('puts the records carrying a pattern far out along one of their class’s leading directions', () => {
    const { features, codes, carriers } = twoClasses(45)
    const spreads = otherClassSpread(features, codes, 2, 0.02)
    const rows = Int32Array.from(Array.from(codes.keys()).filter((row) => codes[row] === 0))
    const whitened = whitenClass(features, rows, spreads[0])
    const directions = leadingCoordinates(whitened, rows.length, features.cols, 4, 0)
    const best = directions.reduce((a, b) =>
      b.filter((z) => z >= 4).length > a.filter((z) => z >= 4).length ? b : a,
    )
    const carried = new Set(carriers)
    const far = Array.from(rows.keys()).filter((index) => best[index] >= 4)
    expect(far.every((index) => carried.has(rows[index]))).toBe(true)
    expect(far.length).toBe(carriers.length)
  })

  it('measures each class against the others’ spread, floored for silent features', () => {
    const { features, codes } = twoClasses(0)
    const spreads = otherClassSpread(features, codes, 2, 0.02)
    expect(spreads[0][0]).toBeCloseTo(0.02)
    expect(spreads[0][20]).toBeGreaterThan(0.15)
  })
})
