import { describe, expect, it } from 'vitest'
import { uniformNoiseRate } from './uniform-noise.js'

/**
 * A joint of given × true labels (normalised) from counts off its diagonal, `offDiagonal(given, truth)`, with
 * `perClass` records of each true class: the rest of a class's records keep their label.
 */
function jointOf(
  classCount: number,
  perClass: number,
  offDiagonal: (given: number, truth: number) => number,
) {
  const counts = new Float64Array(classCount * classCount)
  for (let truth = 0; truth < classCount; truth++) {
    let moved = 0
    for (let given = 0; given < classCount; given++) {
      if (given === truth) continue
      counts[given * classCount + truth] = offDiagonal(given, truth)
      moved += counts[given * classCount + truth]
    }
    counts[truth * classCount + truth] = perClass - moved
  }
  const total = classCount * perClass
  return { joint: counts.map((count) => count / total), total }
}

describe('uniformNoiseRate', () => {
  it('reads the flips every pair of classes shares, not the overlap of neighbouring thirds', () => {
    // Thirds of one measurement: each confused with the next at 30%, the far pair at 3–5% (the flips).
    const { joint, total } = jointOf(3, 150, (given, truth) =>
      Math.abs(given - truth) === 1 ? 45 : given < truth ? 5 : 7,
    )
    // Confident learning's share of labels off the diagonal is 0.43; the far pair's 12 of 300, over two other classes.
    expect(uniformNoiseRate(joint, 3, total)).toBeCloseTo(0.08, 6)
  })

  it('pools every pair where random flips alone confuse the classes', () => {
    // Ten classes of 1,000 with 10% flips: 11.1 records a pair on average, 6 to 16 by chance.
    const { joint, total } = jointOf(10, 1000, (given, truth) => 6 + ((given * 7 + truth * 3) % 11))
    let moved = 0
    for (let given = 0; given < 10; given++)
      for (let truth = 0; truth < 10; truth++)
        if (given !== truth) moved += 6 + ((given * 7 + truth * 3) % 11)
    expect(uniformNoiseRate(joint, 10, total)).toBeCloseTo(moved / total, 6)
  })

  it('leaves out a pair confused far beyond the rest, and only that pair', () => {
    const flips = (given: number, truth: number) => 6 + ((given * 7 + truth * 3) % 11)
    const { joint, total } = jointOf(10, 1000, (given, truth) =>
      (given === 4 && truth === 9) || (given === 9 && truth === 4) ? 150 : flips(given, truth),
    )
    const rate = uniformNoiseRate(joint, 10, total)!
    expect(rate).toBeGreaterThan(0.095)
    expect(rate).toBeLessThan(0.11)
  })

  it('sets no pair apart where each holds a record or two among a thousand classes of five', () => {
    const { joint, total } = jointOf(1000, 5, (given, truth) =>
      (given * 31 + truth * 17) % 4001 === 0 ? 1 : 0,
    )
    let moved = 0
    for (let given = 0; given < 1000; given++)
      for (let truth = 0; truth < 1000; truth++)
        if (given !== truth && (given * 31 + truth * 17) % 4001 === 0) moved++
    expect(moved).toBeGreaterThan(100)
    expect(uniformNoiseRate(joint, 1000, total)).toBeCloseTo(moved / total, 6)
  })

  it('has nothing to pool against with two classes', () => {
    const { joint, total } = jointOf(2, 100, (given) => (given === 0 ? 20 : 2))
    expect(uniformNoiseRate(joint, 2, total)).toBeUndefined()
  })
})
