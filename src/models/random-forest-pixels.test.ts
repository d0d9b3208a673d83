import { describe, expect, it } from 'vitest'
import { mnistDataset } from '../../test/fixtures/datasets.js'
import { createRng } from '../util/rng.js'
import { outOfBagForestProbabilities } from './random-forest.js'

/*
 * Pixels are columns of up to 255 bins of which a small node holds a few: a split walks only those (and orders them
 * by sorting when they are spread thin, by scanning the range when dense). What it chooses must not depend on the
 * values beyond their order, and the trees must still read the digits.
 */
describe('a random forest on 1,000 MNIST digits', () => {
  const digits = mnistDataset(1000)
  const x = digits.features!
  const labels = digits.labels!.codes
  const settings = { classCount: 10, trees: 20 }
  const forest = outOfBagForestProbabilities(x, labels, { ...settings, rng: createRng(7) })

  it('reads the digits out of bag (0.76 with 20 trees)', () => {
    let correct = 0
    for (let row = 0; row < x.rows; row++) {
      const scores = forest.data.subarray(row * 10, (row + 1) * 10)
      if (scores.indexOf(Math.max(...scores)) === labels[row]) correct++
    }
    expect(correct / x.rows).toBeGreaterThan(0.72)
  })

  it('gives the same probabilities on pixels stretched by any increasing map', () => {
    const stretched = { ...x, data: x.data.map((value) => value ** 3 * 1000 + 7) }
    const again = outOfBagForestProbabilities(stretched, labels, { ...settings, rng: createRng(7) })
    expect(again.data).toEqual(forest.data)
  })
})
