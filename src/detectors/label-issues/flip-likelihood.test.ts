import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { likeliestFlipRate } from './flip-likelihood.js'

/**
 * 2,000 records of `classCount` classes whose labels are drawn from the model's own probabilities (a softmax of a
 * record's scores, sharpened by `sharpness` in what the model reports), so that unlikely labels are honest and as
 * rare as the true probabilities make them; then `flipRate` of them moved to a uniformly chosen other class.
 */
function overlappingClasses(classCount: number, flipRate: number, sharpness: number) {
  const rowCount = 2000
  const rng = createRng(17)
  const data = new Float32Array(rowCount * classCount)
  const codes = new Int32Array(rowCount)
  const truth = new Float64Array(classCount)
  for (let row = 0; row < rowCount; row++) {
    let total = 0
    let reported = 0
    for (let label = 0; label < classCount; label++) {
      truth[label] = Math.exp(1.5 * rng.normal())
      total += truth[label]
      reported += truth[label] ** sharpness
    }
    let draw = rng.next() * total
    codes[row] = classCount - 1
    for (let label = 0; label < classCount; label++) {
      data[row * classCount + label] = truth[label] ** sharpness / reported
      draw -= truth[label]
      if (draw < 0 && codes[row] === classCount - 1) codes[row] = label
    }
    if (rng.next() < flipRate) codes[row] = (codes[row] + 1 + rng.int(classCount - 1)) % classCount
  }
  return { probabilities: { data, rows: rowCount, cols: classCount }, codes }
}

describe('likeliestFlipRate', () => {
  it.each([2, 10])(
    'reads honest overlap of %i classes as almost no flips, however sure the model',
    (classCount) => {
      for (const sharpness of [1, 3]) {
        const { probabilities, codes } = overlappingClasses(classCount, 0, sharpness)
        expect(likeliestFlipRate(probabilities, codes)).toBeLessThan(0.01)
      }
    },
  )

  it.each([2, 10])('finds 10% random flips among %i overlapping classes', (classCount) => {
    const { probabilities, codes } = overlappingClasses(classCount, 0.1, 3)
    const rate = likeliestFlipRate(probabilities, codes)
    expect(rate).toBeGreaterThan(0.07)
    expect(rate).toBeLessThan(0.13)
  })

  it('gives nothing with one class', () => {
    expect(
      likeliestFlipRate({ data: new Float32Array(3).fill(1), rows: 3, cols: 1 }, new Int32Array(3)),
    ).toBe(0)
  })
})
