import { describe, expect, it } from 'vitest'
import { createMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { createRng, type Rng } from '../../util/rng.js'
import { callAttacked, flipEvidence, preferredJoint, testJointCells } from './score.js'

/** A confident joint of `sizes` true classes under class-conditional uniform noise at `noiseRate`. */
function noisyJoint(sizes: number[], noiseRate: number, rng: Rng): Float64Array {
  const classCount = sizes.length
  const joint = new Float64Array(classCount * classCount)
  sizes.forEach((size, target) => {
    for (let record = 0; record < size; record++) {
      let given = target
      if (rng.next() < noiseRate) given = (target + 1 + rng.int(classCount - 1)) % classCount
      joint[given * classCount + target]++
    }
  })
  return joint
}

describe('confident joint cell test', () => {
  const sizes = [900, 1100, 800, 950, 1000, 700, 850, 1000, 900, 800]

  it('calls a one-way over-full cell attacked and leaves a natural two-way confusion alone', () => {
    const joint = noisyJoint(sizes, 0.01, createRng(3))
    const classCount = sizes.length
    joint[3 * classCount + 5] += 14 // labelled 3, looks like 5
    joint[5 * classCount + 3] += 9 // and the reverse: a natural confusion
    joint[1 * classCount + 7] += 150 // labelled 1, looks like 7: one-way
    const tests = testJointCells(joint, classCount)
    expect(tests).toHaveLength(90)
    const cell = (given: number, target: number) =>
      tests.find((test) => test.given === given && test.target === target)!
    expect(cell(1, 7).pValue).toBeLessThan(1e-30)
    expect(cell(1, 7).expected).toBeLessThan(10)
    expect(cell(7, 1).pValue).toBe(1)
    expect(cell(3, 5).pValue).toBeGreaterThan(0.001)
    expect(cell(5, 3).pValue).toBeGreaterThan(0.001)
  })

  it('keeps the family-wise false alarm rate near its level under random noise', () => {
    const rng = createRng(11)
    let alarms = 0
    const trials = 200
    for (let trial = 0; trial < trials; trial++) {
      const joint = noisyJoint(sizes, 0.02 + 0.1 * rng.next(), rng)
      if (testJointCells(joint, sizes.length).some((test) => test.pValue < 0.05)) alarms++
    }
    // Bonferroni is conservative; the Poisson and binomial tails of discrete counts more so.
    expect(alarms / trials).toBeLessThanOrEqual(0.06)
  })

  it('scales the mirror cell by class size for two classes', () => {
    // 10% random noise on 4000 ham and 2000 spam: twice as many ham records carry the spam label as vice versa
    const joint = Float64Array.from([3600, 200, 400, 1800])
    const [hamAsSpam, spamAsHam] = testJointCells(joint, 2)
    expect(hamAsSpam.pValue).toBeGreaterThan(0.05)
    expect(spamAsHam.pValue).toBeGreaterThan(0.05)
    const attacked = testJointCells(Float64Array.from([3600, 600, 10, 1400]), 2)
    expect(attacked[0].pValue).toBeLessThan(1e-50)
  })
})

describe('calling class pairs attacked', () => {
  /**
   * The preferred joint (row: given label, column: class the model prefers) of 100,000 clean digits: the 10,000
   * MNIST digits ten times over, each copy with its own pixel noise, under out-of-fold probabilities. Its one-way
   * confusions are natural: 4←9 has 34 records where its mirror and column explain 6.
   */
  const tiledDigits = [
    [8504, 0, 0, 0, 0, 0, 0, 0, 6, 0],
    [0, 9181, 7, 0, 0, 0, 0, 0, 19, 0],
    [0, 0, 7645, 1, 1, 1, 0, 11, 44, 9],
    [0, 0, 15, 7782, 0, 48, 0, 19, 24, 11],
    [0, 10, 0, 0, 7508, 0, 2, 0, 2, 34],
    [0, 3, 9, 34, 0, 6319, 2, 0, 24, 6],
    [1, 0, 0, 0, 4, 17, 8342, 0, 5, 0],
    [0, 0, 18, 0, 21, 0, 0, 8350, 0, 20],
    [3, 0, 24, 18, 0, 5, 1, 0, 6714, 1],
    [0, 9, 1, 22, 1, 5, 0, 22, 5, 6952],
  ]
  const params = { alpha: 0.001, minRecords: 10 }
  const called = (joint: Float64Array) =>
    callAttacked(testJointCells(joint, 10), 10, params).map((cell) => `${cell.given}←${cell.target}`)
  /** Relabels a tenth of class `from` as `to`; the model confidently places 80% of them in `from`, the rest nowhere. */
  function flip(joint: Float64Array, from: number, to: number) {
    const flipped = 0.1 * joint[from * 10 + from]
    joint[from * 10 + from] -= flipped
    joint[to * 10 + from] += Math.round(0.8 * flipped)
  }

  it('leaves natural one-way confusions alone however many rows back them', () => {
    for (const copies of [1, 10]) {
      const joint = Float64Array.from(tiledDigits.flat(), (count) => count * copies)
      // The count tests alone take such cells for flips, and more of them the more rows there are.
      const beyondNoise = testJointCells(joint, 10).filter(
        (cell) => cell.pValue < params.alpha && cell.count >= 2 * cell.expected && cell.count >= 10,
      )
      expect(beyondNoise.length).toBeGreaterThanOrEqual(copies === 1 ? 3 : 8)
      expect(called(joint)).toEqual([])
    }
  })

  it('calls a flip of a tenth of one class, and two flips at once, among the same confusions', () => {
    for (const copies of [1, 10]) {
      const joint = Float64Array.from(tiledDigits.flat(), (count) => count * copies)
      flip(joint, 3, 8)
      expect(called(joint)).toEqual(['8←3'])
      flip(joint, 7, 1)
      expect(called(joint).sort()).toEqual(['1←7', '8←3'])
    }
  })

  it('leaves a few records of neighbouring ordered classes alone, and still calls a flip of a third of one', () => {
    // Out-of-fold joint of 2,400 passages of State of the Union addresses labelled by era: 16 of the latest era
    // read like the era before it and none the reverse, while 13 and 10 fill the cells of the other neighbours.
    const eras = [
      [331, 13, 0, 0],
      [9, 312, 3, 0],
      [0, 10, 318, 0],
      [0, 0, 16, 374],
    ]
    const calledEras = (joint: Float64Array) =>
      callAttacked(testJointCells(joint, 4), 4, params).map((cell) => `${cell.given}←${cell.target}`)
    expect(calledEras(Float64Array.from(eras.flat()))).toEqual([])
    const flipped = Float64Array.from(eras.flat())
    // Beside that natural excess a flip must be larger than on MNIST's ten classes: here a third of the earliest
    // era relabelled as the latest, 80% of it placed back in its era.
    flipped[0] -= 110
    flipped[3 * 4] += 88
    expect(calledEras(flipped)).toEqual(['3←0'])
  })

  it('with two classes, leaves an excess of under 1% of the label alone', () => {
    // Ten copies of a mail the model puts in the other class, against none the other way.
    expect(callAttacked(testJointCells(Float64Array.from([36000, 10, 0, 20000]), 2), 2, params)).toEqual([])
    const attacked = callAttacked(testJointCells(Float64Array.from([36000, 700, 0, 18000]), 2), 2, params)
    expect(attacked).toMatchObject([{ given: 0, target: 1 }])
  })
})

describe('the preferred joint', () => {
  it('counts a record only in the class the model prefers, once that class clears its threshold', () => {
    // Class 1 is small and its own records are doubtful (threshold 0.3). Record 0 clears that, but the model
    // prefers its label 0 (below 0.7): confident learning would count it as a 1, this joint leaves it out.
    // Record 1 is preferred as a 1, record 2 as its label.
    const probabilities = createMatrix(3, 2, Float32Array.from([0.6, 0.4, 0.2, 0.8, 0.75, 0.25]))
    const joint = preferredJoint(probabilities, Int32Array.from([0, 0, 0]), Float64Array.from([0.7, 0.3]))
    expect(Array.from(joint)).toEqual([1, 1, 0, 0])
  })
})

describe('flip evidence', () => {
  it('averages the pairwise model preference with the weighted neighbour share', () => {
    const probabilities = createMatrix(
      3,
      3,
      Float32Array.from([0.2, 0.6, 0.2, 0.9, 0.05, 0.05, 0.1, 0.8, 0.1]),
    )
    const labels = Int32Array.from([0, 0, 1])
    const graph: NeighbourGraph = {
      rows: 3,
      k: 2,
      indices: Int32Array.from([2, 1, 0, 2, 0, 1]),
      distances: Float32Array.from([1, 1, 1, 1, 1, 1]),
    }
    const evidence = flipEvidence(probabilities, graph, labels, Int32Array.from([0, 1]), 0, 1)
    // row 0: model 0.6 / 0.8 = 0.75, one of two equally near neighbours labelled 1 → (0.75 + 0.5) / 2
    expect(evidence[0]).toBeCloseTo(0.625, 6)
    // row 1: model 0.05 / 0.95, neighbours 0 and 1 → half
    expect(evidence[1]).toBeCloseTo((0.05 / 0.95 + 0.5) / 2, 6)
  })
})
