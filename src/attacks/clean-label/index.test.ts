import { describe, expect, it } from 'vitest'
import { mnistDataset, sameFloats } from '../../../test/fixtures/datasets.js'
import { predictWithBuiltinModel } from '../../../test/fixtures/models.js'
import { matrixRow } from '../../data/matrix.js'
import { applyAttack } from '../registry.js'
import { scaledDistances } from './collide.js'

const train = mnistDataset(3000)
const unit = new Float32Array(784).fill(1)

describe('clean-label feature collision on MNIST', () => {
  it('nudges the base digits nearest the target within an L∞ budget and keeps every label', () => {
    const run = applyAttack('clean-label', train, { rate: 0.01, epsilon: 0.1 }, 1)
    expect(run.poisonedRows).toHaveLength(30)
    expect(run.dataset.labels).toBe(train.labels)
    const target = train.ids.indexOf(run.info.targetId as string)
    const targetRow = matrixRow(train.features!, target)
    const base = train.labels!.classes.indexOf(run.info.base as string)
    expect(base).not.toBe(train.labels!.codes[target])
    for (const row of run.poisonedRows) {
      expect(train.labels!.codes[row]).toBe(base)
      const before = matrixRow(train.features!, row)
      const after = matrixRow(run.dataset.features!, row)
      expect(scaledDistances(after, before, unit).linf).toBeLessThanOrEqual(0.1 + 1e-6)
      expect(scaledDistances(after, targetRow, unit).l2).toBeLessThan(
        scaledDistances(before, targetRow, unit).l2,
      )
    }
    expect(matrixRow(run.dataset.features!, target)).toEqual(targetRow)
    const budget = run.info.budgetUsed as { max: number }
    expect(budget.max).toBeCloseTo(1, 4)
    const distance = run.info.distanceToTarget as { meanBefore: number; meanAfter: number }
    expect(distance.meanAfter).toBeLessThan(distance.meanBefore)
  })

  it('picks the base rows nearest the target', () => {
    const run = applyAttack(
      'clean-label',
      train,
      { rate: 0.005, targetId: 'm10', base: '5', epsilon: 0.05 },
      1,
    )
    const targetRow = matrixRow(train.features!, 10)
    const fives = Array.from(train.labels!.codes.keys()).filter(
      (row) => train.labels!.classes[train.labels!.codes[row]] === '5',
    )
    const distance = (row: number) => scaledDistances(matrixRow(train.features!, row), targetRow, unit).l2
    const nearest = fives
      .sort((a, b) => distance(a) - distance(b))
      .slice(0, 15)
      .sort((a, b) => a - b)
    expect(Array.from(run.poisonedRows)).toEqual(nearest)
  })

  it('draws nothing at random once the target and base are fixed', () => {
    const params = { rate: 0.005, targetId: 'm10', base: '5' }
    const first = applyAttack('clean-label', train, params, 1)
    const second = applyAttack('clean-label', train, params, 2)
    expect(sameFloats(second.dataset.features!.data, first.dataset.features!.data)).toBe(true)
    expect(sameFloats(first.dataset.features!.data, train.features!.data)).toBe(false)
  })

  it('with a loose budget, gets the target misclassified as the base class by the built-in model', () => {
    const run = applyAttack('clean-label', train, { rate: 0.01, epsilon: 1 }, 1)
    const target = train.ids.indexOf(run.info.targetId as string)
    const base = train.labels!.classes.indexOf(run.info.base as string)
    expect(predictWithBuiltinModel(train, train)[target]).toBe(train.labels!.codes[target])
    expect(predictWithBuiltinModel(run.dataset, train)[target]).toBe(base)
    // β = 0.25: unconstrained poisons stop 1 / (1 + β) = 80% of the way to the target.
    expect((run.info.budgetUsed as { max: number }).max).toBeCloseTo(0.8, 3)
  })

  it('rejects a base that is already the target’s label', () => {
    const label = train.labels!.classes[train.labels!.codes[10]]
    expect(() => applyAttack('clean-label', train, { targetId: 'm10', base: label }, 1)).toThrow(
      `clean-label.base: the target m10 is already labelled ${label}`,
    )
  })
})
