import { describe, expect, it } from 'vitest'
import { mixedDataset, mnistDataset, recordAt, spamDataset } from '../../../test/fixtures/datasets.js'
import { matrixRow } from '../../data/matrix.js'
import { applyAttack } from '../registry.js'

const digits = mnistDataset(2000)
const mails = spamDataset(1000)

function sourceRow(id: string, ids: readonly string[]): number {
  return ids.indexOf(id.slice(0, id.indexOf('~')))
}

describe('availability attacks', () => {
  it('appends noisy digits with random labels, pixels kept in range', () => {
    const run = applyAttack('availability', digits, { rate: 0.1, mode: 'noise' }, 1)
    expect(run.dataset.rowCount).toBe(2200)
    expect(Array.from(run.poisonedRows)).toEqual(Array.from({ length: 200 }, (_, index) => 2000 + index))
    const labelsUsed = new Set<number>()
    let totalChange = 0
    let low = 0
    let high = 1
    for (const row of run.poisonedRows) {
      expect(run.dataset.ids[row]).toMatch(/^m\d+~noise\d+$/)
      labelsUsed.add(run.dataset.labels!.codes[row])
      const noisy = matrixRow(run.dataset.features!, row)
      const original = matrixRow(digits.features!, sourceRow(run.dataset.ids[row], digits.ids))
      for (let p = 0; p < noisy.length; p++) {
        low = Math.min(low, noisy[p])
        high = Math.max(high, noisy[p])
        totalChange += Math.abs(noisy[p] - original[p])
      }
    }
    expect([low, high]).toEqual([0, 1])
    expect(labelsUsed.size).toBe(10)
    expect(totalChange / (200 * 784)).toBeGreaterThan(0.1)
  })

  it('appends exact copies of mails with the other label', () => {
    const run = applyAttack('availability', mails, { rate: 0.05, mode: 'contradictory' }, 2)
    expect(run.poisonedIds).toHaveLength(50)
    for (const row of run.poisonedRows) {
      const id = run.dataset.ids[row]
      expect(id).toMatch(/~dup1$/)
      const original = sourceRow(id, mails.ids)
      expect(run.dataset.texts![row]).toBe(mails.texts![original])
      expect(run.dataset.labels!.codes[row]).toBe(1 - mails.labels!.codes[original])
    }
    expect(new Set(run.poisonedIds.map((id) => sourceRow(id, mails.ids))).size).toBe(50)
  })

  it('floods near-copies of a few digits, all with one wrong label', () => {
    const run = applyAttack('availability', digits, { rate: 0.05, mode: 'flood', seeds: 2, floodLabel: 3 }, 3)
    const seeds = run.info.seedIds as string[]
    expect(seeds).toHaveLength(2)
    expect(run.info.floodLabels).toEqual(['3'])
    for (const row of run.poisonedRows) {
      const id = run.dataset.ids[row]
      expect(seeds).toContain(id.slice(0, id.indexOf('~')))
      expect(run.dataset.labels!.classes[run.dataset.labels!.codes[row]]).toBe('3')
      const seed = sourceRow(id, digits.ids)
      expect(digits.labels!.classes[digits.labels!.codes[seed]]).not.toBe('3')
      const copy = matrixRow(run.dataset.features!, row)
      const original = matrixRow(digits.features!, seed)
      let largest = 0
      for (let p = 0; p < copy.length; p++) largest = Math.max(largest, Math.abs(copy[p] - original[p]))
      expect(largest).toBeGreaterThan(0)
      expect(largest).toBeLessThan(0.15)
    }
  })

  it('floods near-duplicate texts that differ from their mail by one repeated word', () => {
    const run = applyAttack('availability', mails, { rate: 0.02, mode: 'flood' }, 4)
    for (const row of run.poisonedRows) {
      const original = mails.texts![sourceRow(run.dataset.ids[row], mails.ids)]
      const copy = run.dataset.texts![row]
      expect(copy).not.toBe(original)
      expect(copy.split(/\s+/).filter(Boolean).length).toBe(original.split(/\s+/).filter(Boolean).length + 1)
    }
  })

  it('gives added records their own source and unique ids', () => {
    const mixed = mixedDataset(100)
    const run = applyAttack('availability', mixed, { rate: 0.5, mode: 'contradictory', source: 'mallory' }, 5)
    for (const row of run.poisonedRows) expect(recordAt(run.dataset, row).source).toBe('mallory')
    expect(new Set(run.dataset.ids).size).toBe(150)
    const twice = applyAttack('availability', run.dataset, { rate: 0.5, mode: 'contradictory' }, 6)
    expect(new Set(twice.dataset.ids).size).toBe(225)
  })
})
