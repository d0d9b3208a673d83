import { describe, expect, it } from 'vitest'
import type { DetectedAttack } from '../domain/index.js'
import { mergeSameAttacks } from './same-attack.js'

const rows = Int32Array.from({ length: 48 }, (_, row) => row)
const pair: DetectedAttack = {
  detector: 'targeted-flip',
  kind: 'label_issue',
  description: 'records of novel relabelled as address',
  label: 'address',
  records: 48,
  pValue: 2.5e-7,
}
const trigger: DetectedAttack = {
  detector: 'trigger-mining',
  kind: 'trigger',
  description: "token 'zqx' on 48 rows labelled address",
  label: 'address',
  records: 48,
  pValue: 8e-27,
}

describe('mergeSameAttacks', () => {
  it('names one attack on the same records after the detector with the strongest evidence', () => {
    const merged = mergeSameAttacks([
      { attack: pair, rows },
      { attack: trigger, rows },
    ])
    expect(merged).toHaveLength(1)
    expect(merged[0].attack).toBe(trigger)
    expect(merged[0].confirmedBy).toEqual([pair])
  })

  it('keeps the first attack named when a later one brings no p-value, and attacks on other records apart', () => {
    const flood: DetectedAttack = { ...pair, detector: 'near-duplicates', kind: 'flood', pValue: undefined }
    const elsewhere = Int32Array.from({ length: 48 }, (_, row) => row + 100)
    const merged = mergeSameAttacks([
      { attack: pair, rows },
      { attack: flood, rows },
      { attack: trigger, rows: elsewhere },
    ])
    expect(merged.map((entry) => entry.attack)).toEqual([pair, trigger])
    expect(merged[0].confirmedBy).toEqual([flood])
  })
})

describe('mergeSameAttacks on an attack that names no label', () => {
  it('takes a group inside a class on the same records for the same attack', () => {
    const flood: DetectedAttack = {
      detector: 'near-duplicates',
      kind: 'flood',
      description: 'a flood of 48 near-identical records',
      records: 48,
    }
    const group: DetectedAttack = {
      detector: 'activation-clustering',
      kind: 'backdoor',
      description: 'a separate group of 48 records inside class novel',
      label: 'novel',
      records: 48,
    }
    const merged = mergeSameAttacks([
      { attack: flood, rows },
      { attack: group, rows },
    ])
    expect(merged.map((entry) => entry.attack)).toEqual([flood])
    expect(merged[0].confirmedBy).toEqual([group])
  })
})

describe('mergeSameAttacks on a flood of near-copies', () => {
  const flood: DetectedAttack = {
    detector: 'near-duplicates',
    kind: 'flood',
    description: 'a flood of 48 near-identical records',
    records: 48,
  }
  const collision: DetectedAttack = {
    detector: 'feature-collision',
    kind: 'clean_label',
    description: '47 records labelled malignant collide with record 463 (labelled benign)',
    label: 'malignant',
    records: 47,
    pValue: 4.8e-6,
  }

  it('keeps the flood named when another detector sees its copies with a smaller p-value', () => {
    const merged = mergeSameAttacks([
      { attack: flood, rows },
      { attack: collision, rows: rows.subarray(1) },
    ])
    expect(merged.map((entry) => entry.attack)).toEqual([flood])
    expect(merged[0].confirmedBy).toEqual([collision])
  })

  it('takes groups among the copies of one of its seeds for the flood seen again, and others apart', () => {
    const pattern = (label: string): DetectedAttack => ({
      detector: 'clean-label-backdoor',
      kind: 'clean_label',
      description: `a pattern carried by 16 records of class ${label}, labels unchanged`,
      label,
      records: 16,
      pValue: 1e-9,
    })
    const seedRows = (first: number) => Int32Array.from({ length: 16 }, (_, index) => first + index)
    const merged = mergeSameAttacks([
      { attack: flood, rows },
      { attack: pattern('2'), rows: seedRows(0) },
      { attack: pattern('6'), rows: seedRows(16) },
      { attack: pattern('7'), rows: seedRows(200) },
    ])
    expect(merged.map((entry) => entry.attack.description)).toEqual([
      flood.description,
      'a pattern carried by 16 records of class 7, labels unchanged',
    ])
    expect(merged[0].confirmedBy.map((attack) => attack.label)).toEqual(['2', '6'])
  })
})
