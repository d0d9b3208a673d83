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
