import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { lowCutNoiseRate } from './noise-rate.js'
import { findLabelIssues } from './score.js'

/** The class whose cumulative probability first exceeds `uniform`. */
function drawFrom(probabilities: Float32Array, uniform: number): number {
  let cumulative = 0
  for (let label = 0; label < probabilities.length; label++) {
    cumulative += probabilities[label]
    if (uniform < cumulative) return label
  }
  return probabilities.length - 1
}

/**
 * 3,000 records of 30 classes under a weak but honest model: each record's class probabilities are a softmax of
 * noisy scores in which its class leads by little, and its label is drawn from them, so a correct label is often
 * not the model's first choice. `flipRate` of the labels are then moved to a uniformly chosen other class.
 */
function weakModel(flipRate: number) {
  const rowCount = 3000
  const classCount = 30
  const rng = createRng(9)
  const data = new Float32Array(rowCount * classCount)
  const codes = new Int32Array(rowCount)
  for (let row = 0; row < rowCount; row++) {
    const probabilities = data.subarray(row * classCount, (row + 1) * classCount)
    const leader = rng.int(classCount)
    let total = 0
    for (let label = 0; label < classCount; label++) {
      probabilities[label] = Math.exp(2 * rng.normal() + (label === leader ? 2 : 0))
      total += probabilities[label]
    }
    for (let label = 0; label < classCount; label++) probabilities[label] /= total
    codes[row] = drawFrom(probabilities, rng.next())
    if (rng.next() < flipRate) codes[row] = (codes[row] + 1 + rng.int(classCount - 1)) % classCount
  }
  return { probabilities: { data, rows: rowCount, cols: classCount }, codes }
}

function issueShare(probabilities: ReturnType<typeof weakModel>['probabilities'], codes: Int32Array) {
  const { flagged } = findLabelIssues(probabilities, codes)
  return flagged.reduce((sum, flag) => sum + flag, 0) / codes.length
}

describe('lowCutNoiseRate', () => {
  it('admits no noise in correct labels a weak model often doubts, where confident learning counts much', () => {
    const { probabilities, codes } = weakModel(0)
    expect(issueShare(probabilities, codes)).toBeGreaterThan(0.2)
    expect(lowCutNoiseRate(probabilities, codes)).toBeLessThan(0.01)
  })

  it('bounds the share of labels moved at random to other classes from above, not far off', () => {
    const { probabilities, codes } = weakModel(0.1)
    expect(lowCutNoiseRate(probabilities, codes)).toBeGreaterThan(0.1)
    expect(lowCutNoiseRate(probabilities, codes)).toBeLessThan(0.16)
  })

  it('does not read two hundred records as noiseless when a twentieth of their labels is wrong', () => {
    // Two well separated classes: a flip's probability is as low as the other class's, so few labels sit below
    // the low cuts and the least of their counts alone would say there is almost no noise.
    const rng = createRng(3)
    const rowCount = 200
    const data = new Float32Array(rowCount * 2)
    const codes = new Int32Array(rowCount)
    for (let row = 0; row < rowCount; row++) {
      const truth = row % 2
      const other = 1 / (1 + Math.exp(4 + rng.normal()))
      data[row * 2 + truth] = 1 - other
      data[row * 2 + 1 - truth] = other
      codes[row] = rng.next() < 0.05 ? 1 - truth : truth
    }
    expect(lowCutNoiseRate({ data, rows: rowCount, cols: 2 }, codes)).toBeGreaterThan(0.05)
  })

  it('reads labelled records only', () => {
    const { probabilities, codes } = weakModel(0.1)
    const rate = lowCutNoiseRate(probabilities, codes)
    const withUnlabelled = {
      data: Float32Array.from([...probabilities.data, ...probabilities.data.subarray(0, 30)]),
      rows: probabilities.rows + 1,
      cols: probabilities.cols,
    }
    expect(lowCutNoiseRate(withUnlabelled, Int32Array.from([...codes, -1]))).toBeCloseTo(rate, 2)
  })
})
