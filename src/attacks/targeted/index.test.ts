import { describe, expect, it } from 'vitest'
import { mixedDataset, mnistDataset } from '../../../test/fixtures/datasets.js'
import { predictWithBuiltinModel } from '../../../test/fixtures/models.js'
import { matrixRow } from '../../data/matrix.js'
import { scaledDistances } from '../clean-label/collide.js'
import { applyAttack } from '../registry.js'

const train = mnistDataset(3000)
const unit = new Float32Array(784).fill(1)

describe('targeted poisoning', () => {
  it('inserts mislabelled near-copies of the target record', () => {
    const run = applyAttack('targeted', train, { targetId: 'm42', count: 6 }, 1)
    expect(run.poisonedIds).toEqual([1, 2, 3, 4, 5, 6].map((k) => `m42~poison${k}`))
    const own = train.labels!.codes[42]
    const target = matrixRow(train.features!, 42)
    const unrelated = matrixRow(train.features!, 0)
    for (const row of run.poisonedRows) {
      expect(run.dataset.labels!.codes[row]).not.toBe(own)
      const poison = matrixRow(run.dataset.features!, row)
      expect(scaledDistances(poison, target, unit).l2).toBeLessThan(
        0.5 * scaledDistances(unrelated, target, unit).l2,
      )
    }
    expect(new Set(run.poisonedRows.map((row) => run.dataset.labels!.codes[row])).size).toBe(1)
  })

  it('gets the target misclassified by the built-in model with 20 poisons', () => {
    const run = applyAttack('targeted', train, { targetId: 'm42', count: 20, to: 5 }, 2)
    expect(train.labels!.classes[train.labels!.codes[42]]).not.toBe('5')
    expect(train.labels!.classes[predictWithBuiltinModel(train, train)[42]]).toBe(
      train.labels!.classes[train.labels!.codes[42]],
    )
    expect(train.labels!.classes[predictWithBuiltinModel(run.dataset, train)[42]]).toBe('5')
  })

  it('targets every record of one source and says where the poisons come from', () => {
    const mixed = mixedDataset(90)
    const run = applyAttack('targeted', mixed, { targetSource: 'carol', count: 2, to: '0' }, 3)
    const carol = mixed.sources!.filter((source) => source === 'carol').length
    const alreadyZero = mixed.ids.filter(
      (_, row) => mixed.sources![row] === 'carol' && mixed.labels!.codes[row] === 0,
    ).length
    expect(run.poisonedRows).toHaveLength(2 * (carol - alreadyZero))
    expect(run.info.skippedAlreadyLabelledTo).toBe(alreadyZero)
    for (const row of run.poisonedRows) {
      expect(run.dataset.sources![row]).toBe('attacker')
      expect(run.dataset.labels!.codes[row]).toBe(0)
      const target = mixed.ids.indexOf(run.dataset.ids[row].split('~')[0])
      expect(mixed.sources![target]).toBe('carol')
      expect(run.dataset.texts![row]).not.toBe(mixed.texts![target])
    }
  })

  it('rejects an unknown source and lists some known ones', () => {
    expect(() => applyAttack('targeted', mixedDataset(30), { targetSource: 'dave' }, 1)).toThrow(
      'no labelled record comes from "dave"; sources include "alice", "bob", "carol"',
    )
  })
})
