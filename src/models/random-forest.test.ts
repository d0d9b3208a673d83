import { describe, expect, it } from 'vitest'
import { createMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { averagePrecision } from '../evaluation/metrics.js'
import { createRng } from '../util/rng.js'
import { outOfBagForestProbabilities } from './random-forest.js'

/**
 * Points in [-1, 1]² labelled by their quadrant folded into `classCount` classes (XOR of the two signs with two):
 * no line separates them. Every tenth label is moved to the next class; `flipped` marks those.
 */
function quadrants(rowCount: number, classCount: number, seed: number) {
  const rng = createRng(seed)
  const data = new Float32Array(rowCount * 2)
  const truth = new Int32Array(rowCount)
  const labels = new Int32Array(rowCount)
  const flipped = new Uint8Array(rowCount)
  for (let row = 0; row < rowCount; row++) {
    const x = 2 * rng.next() - 1
    const y = 2 * rng.next() - 1
    data.set([x, y], row * 2)
    const quadrant = (x > 0 ? 1 : 0) + (y > 0 ? 2 : 0)
    truth[row] = classCount === 2 ? (x * y > 0 ? 1 : 0) : quadrant % classCount
    flipped[row] = row % 10 === 0 ? 1 : 0
    labels[row] = flipped[row] ? (truth[row] + 1) % classCount : truth[row]
  }
  return { x: createMatrix(rowCount, 2, data), truth, labels, flipped }
}

function predicted(probabilities: Float32Array, row: number, classCount: number): number {
  const scores = probabilities.subarray(row * classCount, (row + 1) * classCount)
  return scores.indexOf(Math.max(...scores))
}

describe('outOfBagForestProbabilities', () => {
  it('learns the true classes through 10% flipped labels and ranks the flipped records first', () => {
    const { x, truth, labels, flipped } = quadrants(800, 2, 1)
    const forest = outOfBagForestProbabilities(x, labels, { classCount: 2, rng: createRng(1) })
    let correct = 0
    for (let row = 0; row < x.rows; row++) if (predicted(forest.data, row, 2) === truth[row]) correct++
    expect(correct / x.rows).toBeGreaterThan(0.9)
    const doubt = Array.from(labels, (label, row) => 1 - forest.data[row * 2 + label])
    expect(averagePrecision(doubt, flipped)).toBeGreaterThan(0.8)
  })

  it('gives every labelled row class probabilities summing to 1 with three classes', () => {
    const { x, labels } = quadrants(400, 3, 2)
    const forest = outOfBagForestProbabilities(x, labels, { classCount: 3, rng: createRng(2), trees: 30 })
    expect(forest.cols).toBe(3)
    for (let row = 0; row < x.rows; row++) {
      const sum = forest.data[row * 3] + forest.data[row * 3 + 1] + forest.data[row * 3 + 2]
      expect(sum).toBeCloseTo(1, 5)
    }
  })

  it('neither trains on nor predicts unlabelled rows, and repeats itself for a seed', () => {
    const { x, labels } = quadrants(300, 2, 3)
    const partly = Int32Array.from(labels, (label, row) => (row < 50 ? -1 : label))
    const first = outOfBagForestProbabilities(x, partly, { classCount: 2, rng: createRng(4), trees: 20 })
    const again = outOfBagForestProbabilities(x, partly, { classCount: 2, rng: createRng(4), trees: 20 })
    expect(Array.from(first.data.subarray(0, 100)).every((value) => value === 0)).toBe(true)
    expect(first.data.subarray(100).some((value) => value > 0)).toBe(true)
    expect(again.data).toEqual(first.data)
  })

  it('refuses input it cannot grow a tree on, and stops when aborted', () => {
    const { x, labels } = quadrants(100, 2, 5)
    expect(() =>
      outOfBagForestProbabilities(
        x,
        Int32Array.from(labels, () => -1),
        { classCount: 2, rng: createRng(1) },
      ),
    ).toThrow(PoisonguardError)
    const controller = new AbortController()
    controller.abort()
    expect(() =>
      outOfBagForestProbabilities(x, labels, { classCount: 2, rng: createRng(1), signal: controller.signal }),
    ).toThrow(expect.objectContaining({ code: 'ABORTED' }))
  })
})
