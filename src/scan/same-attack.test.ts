import { describe, expect, it } from 'vitest'
import type { DetectedAttack } from '../domain/index.js'
import { type AttackRows, mergeSameAttacks } from './same-attack.js'

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

  it('keeps an attack with a p-value named against one without, and attacks on other records apart', () => {
    const group: DetectedAttack = {
      detector: 'activation-clustering',
      kind: 'backdoor',
      description: 'a separate group of 48 records inside class address',
      label: 'address',
      records: 48,
    }
    const elsewhere = Int32Array.from({ length: 48 }, (_, row) => row + 100)
    const merged = mergeSameAttacks([
      { attack: group, rows },
      { attack: pair, rows },
      { attack: trigger, rows: elsewhere },
    ])
    expect(merged.map((entry) => entry.attack)).toEqual([trigger, pair])
    expect(merged[1].confirmedBy).toEqual([group])
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

/** Every order of `items`. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]]
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  )
}

const span = (first: number, count: number) => Int32Array.from({ length: count }, (_, index) => first + index)

/**
 * What a merge says, in a form `toEqual` compares: each distinct attack by detector and description, with those
 * that confirm it.
 */
function verdictOf(merged: ReturnType<typeof mergeSameAttacks>): string[][] {
  const name = (attack: DetectedAttack) => `${attack.detector}: ${attack.description}`
  return merged.map((entry) => [name(entry.attack), ...entry.confirmedBy.map(name)])
}

describe('mergeSameAttacks whatever the order of the findings', () => {
  // Copies of one 8 relabelled 6 seen by four detectors; a trigger elsewhere; and three groups on one class where
  // the weakest overlaps the strongest but not the middle one, so which attack they meet first decides a greedy merge.
  const findings: AttackRows[] = [
    {
      attack: {
        detector: 'near-duplicates',
        kind: 'flood',
        description: 'a flood of 48 near-identical records',
        records: 48,
      },
      rows: span(0, 48),
    },
    {
      attack: {
        detector: 'targeted-flip',
        kind: 'label_issue',
        description: 'records of 8 relabelled as 6',
        label: '6',
        records: 48,
        pValue: 2.5e-7,
      },
      rows: span(0, 48),
    },
    {
      attack: {
        detector: 'feature-collision',
        kind: 'clean_label',
        description: '45 records labelled 6 collide with record r463 (labelled 8)',
        label: '6',
        records: 45,
        pValue: 4.8e-9,
      },
      rows: span(2, 45),
    },
    {
      attack: {
        detector: 'trigger-mining',
        kind: 'trigger',
        description: 'a 3×3 patch of value 255 on 40 images labelled 0',
        label: '0',
        records: 40,
        pValue: 1e-30,
      },
      rows: span(400, 40),
    },
    {
      attack: {
        detector: 'spectral-signature',
        kind: 'backdoor',
        description: 'a separate group of 100 records inside class 3',
        label: '3',
        records: 100,
        pValue: 1e-3,
      },
      rows: span(200, 100),
    },
    {
      attack: {
        detector: 'clean-label-backdoor',
        kind: 'clean_label',
        description: 'a pattern carried by 100 records of class 3, labels unchanged',
        label: '3',
        records: 100,
        pValue: 1e-9,
      },
      rows: span(205, 100),
    },
    {
      attack: {
        detector: 'activation-clustering',
        kind: 'backdoor',
        description: 'a separate group of 100 records inside class 3',
        label: '3',
        records: 100,
      },
      rows: span(212, 100),
    },
  ]

  it('lists the same attacks, names and confirmations for every order', () => {
    const expected = verdictOf(mergeSameAttacks(findings))
    for (const order of permutations(findings)) expect(verdictOf(mergeSameAttacks(order))).toEqual(expected)
  })

  it('names the flood wherever it comes, the strongest evidence elsewhere, strongest first', () => {
    expect(verdictOf(mergeSameAttacks([...findings].reverse()))).toEqual([
      [
        'near-duplicates: a flood of 48 near-identical records',
        'feature-collision: 45 records labelled 6 collide with record r463 (labelled 8)',
        'targeted-flip: records of 8 relabelled as 6',
      ],
      ['trigger-mining: a 3×3 patch of value 255 on 40 images labelled 0'],
      [
        'clean-label-backdoor: a pattern carried by 100 records of class 3, labels unchanged',
        'spectral-signature: a separate group of 100 records inside class 3',
        'activation-clustering: a separate group of 100 records inside class 3',
      ],
    ])
  })
})
