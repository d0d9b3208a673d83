import { describe, expect, it } from 'vitest'
import type { LabelColumn } from '../../data/dataset.js'
import { crowdsOneClass } from './index.js'

/** A label column with `sizes[c]` records of class c. */
function labelsOf(sizes: number[]): LabelColumn {
  const codes = Int32Array.from(sizes.flatMap((size, code) => Array<number>(size).fill(code)))
  return { name: 'label', classes: sizes.map((_, code) => `c${code}`), codes }
}

describe('crowdsOneClass', () => {
  // The breast-cancer table's classes: 212 and 357 records.
  const twoClasses = labelsOf([212, 357])

  it('takes 28 far-off records all of one class of two for a backdoor’s carriers, not noise', () => {
    expect(crowdsOneClass(new Map([[0, 28]]), 28, twoClasses)).toBe(true)
  })

  it('takes far-off records with labels drawn evenly, as random labels are, for noise', () => {
    expect(
      crowdsOneClass(
        new Map([
          [0, 28],
          [1, 29],
        ]),
        57,
        twoClasses,
      ),
    ).toBe(false)
    expect(
      crowdsOneClass(
        new Map([
          [0, 60],
          [1, 54],
        ]),
        114,
        twoClasses,
      ),
    ).toBe(false)
  })

  it('reads ten classes alike: spread records are noise, 40 of 50 in one class are not', () => {
    const tenClasses = labelsOf(Array(10).fill(300))
    const spread = new Map(Array.from({ length: 10 }, (_, code) => [code, 5] as [number, number]))
    expect(crowdsOneClass(spread, 50, tenClasses)).toBe(false)
    const crowded = new Map(
      Array.from({ length: 10 }, (_, code) => [code, code === 3 ? 40 : 1] as [number, number]),
    )
    crowded.delete(9)
    expect(crowdsOneClass(crowded, 49, tenClasses)).toBe(true)
  })
})
