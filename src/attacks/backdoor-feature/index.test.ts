import { describe, expect, it } from 'vitest'
import { mnistDataset } from '../../../test/fixtures/datasets.js'
import { predictWithBuiltinModel } from '../../../test/fixtures/models.js'
import type { Dataset } from '../../data/dataset.js'
import { createRng } from '../../util/rng.js'
import { applyAttack } from '../registry.js'

/** MNIST pixels read as 784 anonymous tabular columns. */
function tabular(rowCount: number, offset = 0): Dataset {
  return { ...mnistDataset(rowCount, offset), imageShape: undefined }
}

const train = tabular(3000)
const cols = 784

describe('backdoor-feature on tabular pixel columns', () => {
  it('writes the trigger values into the chosen columns only', () => {
    const run = applyAttack(
      'backdoor-feature',
      train,
      { rate: 0.02, target: 4, columns: 'p0,p27', values: [0.75, 0.5] },
      1,
    )
    expect(run.poisonedRows).toHaveLength(60)
    const poisoned = new Set(run.poisonedRows)
    for (let row = 0; row < train.rowCount; row++) {
      const after = run.dataset.features!.data.subarray(row * cols, (row + 1) * cols)
      const before = train.features!.data.subarray(row * cols, (row + 1) * cols)
      if (!poisoned.has(row)) continue
      expect(after[0]).toBe(0.75)
      expect(after[27]).toBe(0.5)
      expect(Array.from(after).filter((value, col) => value !== before[col]).length).toBeLessThanOrEqual(2)
      expect(run.dataset.labels!.classes[run.dataset.labels!.codes[row]]).toBe('4')
    }
    expect(run.info).toMatchObject({ columns: ['p0', 'p27'], values: [0.75, 0.5], target: '4' })
  })

  it('defaults to three random columns set to their observed maxima', () => {
    const run = applyAttack('backdoor-feature', train, { rate: 0.01, target: 0 }, 2)
    const columns = run.info.columns as string[]
    const values = run.info.values as number[]
    expect(columns).toHaveLength(3)
    columns.forEach((name, index) => {
      const col = train.featureNames.indexOf(name)
      let max = Number.NEGATIVE_INFINITY
      for (let row = 0; row < train.rowCount; row++)
        max = Math.max(max, train.features!.data[row * cols + col])
      expect(values[index]).toBe(max)
    })
  })

  it('plants a trigger the built-in model obeys on a test set', () => {
    const run = applyAttack(
      'backdoor-feature',
      train,
      { rate: 0.05, target: 0, columns: ['p0', 'p1', 'p2'], values: 1 },
      3,
    )
    const test = tabular(1000, 9000)
    const triggered = run.triggerTestSet!(test, createRng(1))
    const predicted = predictWithBuiltinModel(run.dataset, triggered.dataset)
    const success =
      triggered.poisonedRows.filter((row) => predicted[row] === 0).length / triggered.poisonedRows.length
    expect(success).toBeGreaterThan(0.85)
  })

  it('refuses a test set without the trigger columns', () => {
    const run = applyAttack('backdoor-feature', train, { rate: 0.01, columns: ['p5'] }, 1)
    const renamed = { ...tabular(10), featureNames: train.featureNames.map((name) => `x${name}`) }
    expect(() => run.triggerTestSet!(renamed, createRng(1))).toThrow(/lacks the trigger column\(s\) p5/)
  })
})
