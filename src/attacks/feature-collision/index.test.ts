import { describe, expect, it } from 'vitest'
import { mnistDataset } from '../../../test/fixtures/datasets.js'
import { matrixRow } from '../../data/matrix.js'
import { createRng } from '../../util/rng.js'
import { scaledDistances } from '../clean-label/collide.js'
import { applyAttack } from '../registry.js'
import { featureDistance, featuresOf, fitPrincipalFeatures } from './principal-features.js'

const train = mnistDataset(2000)
const unit = new Float32Array(784).fill(1)

describe('feature-collision on MNIST', () => {
  const run = applyAttack('feature-collision', train, { poisons: 20, epsilon: 0.2 }, 3)
  const target = train.ids.indexOf(run.info.targetId as string)

  it('turns base-class records into poisons within the budget and keeps every label', () => {
    expect(run.poisonedRows).toHaveLength(20)
    expect(run.dataset.labels).toBe(train.labels)
    const base = train.labels!.classes.indexOf(run.info.base as string)
    expect(base).not.toBe(train.labels!.codes[target])
    for (const row of run.poisonedRows) {
      expect(train.labels!.codes[row]).toBe(base)
      const moved = scaledDistances(
        matrixRow(run.dataset.features!, row),
        matrixRow(train.features!, row),
        unit,
      )
      expect(moved.linf).toBeLessThanOrEqual(0.2 + 1e-6)
      expect(moved.linf).toBeGreaterThan(0)
    }
    expect(matrixRow(run.dataset.features!, target)).toEqual(matrixRow(train.features!, target))
  })

  it('brings the poisons closer to the target in feature space than they were', () => {
    const distance = run.info.featureDistanceToTarget as { before: { mean: number }; after: { mean: number } }
    expect(distance.after.mean).toBeLessThan(0.7 * distance.before.mean)
    // Measured in a feature space fitted afresh, the poisons moved toward the target too.
    const space = fitPrincipalFeatures(train.features!, unit, 16, createRng(11))
    const aim = featuresOf(space, matrixRow(train.features!, target))
    for (const row of run.poisonedRows) {
      const before = featureDistance(featuresOf(space, matrixRow(train.features!, row)), aim)
      const after = featureDistance(featuresOf(space, matrixRow(run.dataset.features!, row)), aim)
      expect(after).toBeLessThan(before)
    }
  })

  it('aims at the record it is given, with poisons of the class it is given', () => {
    const aimed = applyAttack('feature-collision', train, { poisons: 5, targetId: 'm10', base: '5' }, 1)
    expect(aimed.info).toMatchObject({ targetId: 'm10', base: '5', poisoned: 5 })
    expect(() => applyAttack('feature-collision', train, { poisons: 5000, base: '5' }, 1)).toThrow(
      /asks for 5000 poisons but only \d+ records are labelled 5/,
    )
  })
})
