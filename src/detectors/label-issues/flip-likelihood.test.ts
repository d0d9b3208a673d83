import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { flipRateBelief } from './flip-likelihood.js'
import type { NoiseBelief } from './posterior.js'

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

/** The belief's mean rate, and the weight it puts on rates within `ratio` of `around`. */
function summary(belief: NoiseBelief, around: number, ratio: number) {
  let mean = 0
  let near = 0
  for (let at = 0; at < belief.rates.length; at++) {
    mean += belief.rates[at] * belief.weights[at]
    if (belief.rates[at] >= around / ratio && belief.rates[at] <= around * ratio) near += belief.weights[at]
  }
  return { mean, near }
}

describe('flipRateBelief', () => {
  it.each([2, 10])(
    'believes honest overlap of %i classes holds few flips, however sure the model',
    (classCount) => {
      for (const sharpness of [1, 3]) {
        const { probabilities, codes } = overlappingClasses(classCount, 0, sharpness)
        expect(summary(flipRateBelief(probabilities, codes, 0.3), 0.1, 1.5).mean).toBeLessThan(0.03)
      }
    },
  )

  it.each([2, 10])('believes 10% random flips among %i overlapping classes are near 10%', (classCount) => {
    const { probabilities, codes } = overlappingClasses(classCount, 0.1, 3)
    expect(summary(flipRateBelief(probabilities, codes, 0.3), 0.1, 2).near).toBeGreaterThan(0.9)
  })

  it('believes the cap alone with one class or no room below it', () => {
    const one = { data: new Float32Array(3).fill(1), rows: 3, cols: 1 }
    expect(flipRateBelief(one, new Int32Array(3), 0.2)).toEqual({ rates: [0.2], weights: [1] })
    const { probabilities, codes } = overlappingClasses(2, 0, 1)
    expect(flipRateBelief(probabilities, codes, 0)).toEqual({ rates: [0], weights: [1] })
  })
})
