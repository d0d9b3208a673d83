import { describe, expect, it } from 'vitest'
import { mnistDataset } from '../../../test/fixtures/datasets.js'
import { applyAttack } from '../registry.js'

const digits = mnistDataset(2000)
const classes = digits.labels!.classes

describe('label-flip on MNIST', () => {
  it('flips 10% of the digits to uniformly chosen wrong labels', () => {
    const run = applyAttack('label-flip', digits, { rate: 0.1 }, 1)
    expect(run.poisonedRows).toHaveLength(200)
    const newLabelCounts = new Array<number>(classes.length).fill(0)
    for (const row of run.poisonedRows) {
      const before = digits.labels!.codes[row]
      const after = run.dataset.labels!.codes[row]
      expect(after).not.toBe(before)
      newLabelCounts[after]++
    }
    // 200 flips over 10 classes: every class receives some, none a lion's share.
    for (const count of newLabelCounts) expect(count).toBeGreaterThan(5)
    expect(Math.max(...newLabelCounts)).toBeLessThan(45)
    expect(run.info).toMatchObject({ mode: 'random', flipped: 200, from: null, to: null })
  })

  it('flips only 7s to 1s in targeted mode', () => {
    const run = applyAttack('label-flip', digits, { from: 7, to: '1', rate: 0.05 }, 2)
    expect(run.poisonedRows).toHaveLength(100)
    for (const row of run.poisonedRows) {
      expect(classes[digits.labels!.codes[row]]).toBe('7')
      expect(classes[run.dataset.labels!.codes[row]]).toBe('1')
    }
    expect(run.info.transitions).toEqual({ '7->1': 100 })
    expect(run.dataset.features).toBe(digits.features)
  })

  it('says how far the rate can go when the source class is too small', () => {
    expect(() =>
      applyAttack('label-flip', digits, { from: '7', to: '1', rate: 0.5 }, 0),
    ).toThrowErrorMatchingInlineSnapshot(
      `[PoisonguardError: invalid parameters for attack label-flip: label-flip.rate: asks for 1000 poisoned records but only 210 are labelled 7; use a rate of at most 0.105]`,
    )
    expect(() =>
      applyAttack('label-flip', digits, { from: '7', to: 7 }, 0),
    ).toThrowErrorMatchingInlineSnapshot(
      `[PoisonguardError: invalid parameters for attack label-flip: label-flip.to: is the same label as from (7)]`,
    )
  })
})
