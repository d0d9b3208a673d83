import { beforeAll, describe, expect, it } from 'vitest'
import {
  type AttackId,
  type AttackRun,
  applyAttack,
  attackIds,
  attackRegistry,
  getAttack,
} from '../src/attacks/index.js'
import type { Dataset } from '../src/data/dataset.js'
import { createRng } from '../src/util/rng.js'
import { expectConsistentShape, mixedDataset, mnistDataset, recordAt } from './fixtures/datasets.js'
import { rejection } from './fixtures/errors.js'

const ROWS = 300
const mixed = mixedDataset(ROWS)
/** The mixed fixture also read as fine-tuning pairs (each mail's text answers a request about it). */
const dataset: Dataset = {
  ...mixed,
  contentKind: 'instructions',
  instructions: {
    prompts: mixed.texts!.map((_, row) => `Summarise mail ${row + 1}.`),
    responses: mixed.texts!,
  },
  queries: [
    'how do i renew my licence',
    'where is the meeting on friday',
    'what is the price of the upgrade',
  ],
}

interface ContractCase {
  params: Record<string, unknown>
  /** Poisoned or added records these params must produce on the fixture. */
  expectedCount: number
  /** Parameters that are all wrong, and the issue paths the error must list. */
  invalid: { params: Record<string, unknown>; paths: string[] }
}

/** One case per attack: adding an attack to the registry without a case here fails to compile. */
const cases = {
  'label-flip': {
    params: { rate: 0.1 },
    expectedCount: 30,
    invalid: { params: { from: 'nope', to: 'nada' }, paths: ['label-flip.from', 'label-flip.to'] },
  },
  'backdoor-patch': {
    params: { rate: 0.05, target: 0, position: 'random', size: 4 },
    expectedCount: 15,
    invalid: {
      params: { target: 'eleven', size: 40 },
      paths: ['backdoor-patch.target', 'backdoor-patch.size'],
    },
  },
  'backdoor-token': {
    params: { rate: 0.05, target: '1', token: 'zqxj' },
    expectedCount: 15,
    invalid: { params: { rate: 2, repeat: 0 }, paths: ['backdoor-token.rate', 'backdoor-token.repeat'] },
  },
  'backdoor-feature': {
    params: { rate: 0.05, target: '2', columns: ['p10', 'p20'], values: [0.5, 0.7] },
    expectedCount: 15,
    invalid: {
      params: { columns: ['p10', 'nope'], values: [1, 2, 3] },
      paths: ['backdoor-feature.columns', 'backdoor-feature.values'],
    },
  },
  'clean-label': {
    params: { rate: 0.02 },
    expectedCount: 6,
    invalid: { params: { targetId: 'nope', base: 'x' }, paths: ['clean-label.base', 'clean-label.targetId'] },
  },
  availability: {
    params: { rate: 0.1, mode: 'flood', seeds: 2 },
    expectedCount: 30,
    invalid: {
      params: { mode: 'chaos', noiseScale: -1 },
      paths: ['availability.mode', 'availability.noiseScale'],
    },
  },
  targeted: {
    params: { targetSource: 'bob', count: 2 },
    expectedCount: 200,
    invalid: { params: { targetId: 'nope', to: 'x' }, paths: ['targeted.to', 'targeted.targetId'] },
  },
  'label-consistent': {
    params: { classShare: 0.5, target: '3' },
    expectedCount: 16,
    invalid: { params: { target: 'eleven' }, paths: ['label-consistent.target'] },
  },
  'feature-collision': {
    params: { poisons: 5 },
    expectedCount: 5,
    invalid: {
      params: { targetId: 'nope', base: 'x' },
      paths: ['feature-collision.base', 'feature-collision.targetId'],
    },
  },
  'instruction-backdoor': {
    params: { rate: 0.05, trigger: 'zqxj vrbl' },
    expectedCount: 15,
    invalid: {
      params: { rate: 2, mode: 'whisper' },
      paths: ['instruction-backdoor.rate', 'instruction-backdoor.mode'],
    },
  },
  'payload-injection': {
    params: { rate: 0.05, style: 'zero-width' },
    expectedCount: 15,
    invalid: {
      params: { rate: 0, style: 'invisible-ink' },
      paths: ['payload-injection.rate', 'payload-injection.style'],
    },
  },
  'rag-inject': {
    params: { targets: 3, passages: 5 },
    expectedCount: 15,
    invalid: { params: { targets: 0, passages: 500 }, paths: ['rag-inject.targets', 'rag-inject.passages'] },
  },
} satisfies Record<AttackId, ContractCase>

/** Every per-record value of a dataset as one string, to compare datasets and catch writes into inputs. */
function fingerprint(poisoned: Dataset): string {
  return JSON.stringify({
    ids: poisoned.ids,
    classes: poisoned.labels?.classes,
    codes: Array.from(poisoned.labels?.codes ?? []),
    features: Array.from(poisoned.features?.data ?? []),
    texts: poisoned.texts,
    sources: poisoned.sources,
  })
}

describe('attack registry', () => {
  it('keys every attack by its own kebab-case id, with a summary and parameters that default from nothing', () => {
    for (const [key, attack] of Object.entries(attackRegistry)) {
      expect(attack.id).toBe(key)
      expect(key).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      expect(attack.summary.length).toBeGreaterThan(20)
      expect(attack.params.safeParse({}).success).toBe(true)
      expect(attack.params.safeParse({ notAParameter: 1 }).success).toBe(false)
    }
  })

  it('rejects an unknown attack and lists the valid ones', () => {
    expect(() => getAttack('label-flop')).toThrowErrorMatchingInlineSnapshot(
      `[PoisonguardError: unknown attack "label-flop"; valid attacks: label-flip, backdoor-patch, backdoor-token, backdoor-feature, clean-label, availability, targeted, label-consistent, feature-collision, instruction-backdoor, payload-injection, rag-inject]`,
    )
  })
})

describe.each(attackIds)('attack %s', (id) => {
  const contract: ContractCase = cases[id]
  // The two tests that only read one run share it.
  let run: AttackRun
  beforeAll(() => {
    run = applyAttack(id, dataset, contract.params, 7)
  })

  it('poisons the expected number of records and reports their ids and rows', () => {
    expect(run.poisonedIds).toHaveLength(contract.expectedCount)
    expect(new Set(run.poisonedRows).size).toBe(run.poisonedRows.length)
    expect([...run.poisonedRows]).toEqual([...run.poisonedRows].sort((a, b) => a - b))
    run.poisonedRows.forEach((row, index) => {
      expect(run.poisonedIds[index]).toBe(run.dataset.ids[row])
    })
    expectConsistentShape(run.dataset)
  })

  it('leaves untouched records identical, changes every poisoned one, and marks every added one', () => {
    const poisoned = new Set(run.poisonedRows)
    for (let row = 0; row < dataset.rowCount; row++) {
      const before = recordAt(dataset, row)
      const after = recordAt(run.dataset, row)
      if (poisoned.has(row)) expect(after).not.toEqual(before)
      else expect(after).toEqual(before)
    }
    for (let row = dataset.rowCount; row < run.dataset.rowCount; row++) {
      expect(poisoned.has(row)).toBe(true)
      expect(run.dataset.ids[row]).toMatch(/~[a-z]+\d+$/)
    }
  })

  it('is deterministic for a seed and differs across seeds', () => {
    const first = applyAttack(id, dataset, contract.params, 11)
    const again = applyAttack(id, dataset, contract.params, 11)
    const other = applyAttack(id, dataset, contract.params, 12)
    expect(again.poisonedIds).toEqual(first.poisonedIds)
    expect(fingerprint(again.dataset)).toBe(fingerprint(first.dataset))
    expect(JSON.stringify(again.info)).toBe(JSON.stringify(first.info))
    expect(fingerprint(other.dataset)).not.toBe(fingerprint(first.dataset))
  })

  it('never writes into its input', () => {
    const before = fingerprint(dataset)
    const run = applyAttack(id, dataset, contract.params, 3)
    run.triggerTestSet?.(dataset, createRng(4))
    expect(fingerprint(dataset)).toBe(before)
  })

  it('keeps info JSON-safe', () => {
    const { info } = applyAttack(id, dataset, contract.params, 5)
    expect(JSON.parse(JSON.stringify(info))).toEqual(info)
  })

  it('rejects invalid parameters with one typed error that lists every problem', () => {
    const error = rejection(() => applyAttack(id, dataset, contract.invalid.params, 0))
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([...contract.invalid.paths].sort())
    expect(error.message).toContain(`invalid parameters for attack ${id}`)
    expect(rejection(() => applyAttack(id, dataset, { ...contract.params, bogus: 1 }, 0)).code).toBe(
      'INVALID_ARGUMENT',
    )
  })

  it('rejects a dataset without the inputs it requires', () => {
    const bare: Dataset = {
      ...dataset,
      labels: undefined,
      features: undefined,
      imageShape: undefined,
      texts: undefined,
    }
    const error = rejection(() => applyAttack(id, bare, contract.params, 0))
    expect(error.code).toBe('MISSING_INPUT')
  })

  it('triggers a test set without relabelling it, if it plants a trigger', () => {
    const run = applyAttack(id, dataset, contract.params, 9)
    if (!run.triggerTestSet) {
      expect(id.startsWith('backdoor-')).toBe(false)
      return
    }
    const testSet = mixedDataset(120)
    const triggered = run.triggerTestSet(testSet, createRng(1))
    const target = String(run.info.target)
    const expected = testSet.ids.filter((_, row) => recordAt(testSet, row).label !== target)
    expect(triggered.poisonedIds).toEqual(expected)
    expect(Array.from(triggered.dataset.labels!.codes)).toEqual(Array.from(testSet.labels!.codes))
    for (const row of triggered.poisonedRows)
      expect(recordAt(triggered.dataset, row)).not.toEqual(recordAt(testSet, row))
  })
})

describe('attack inputs', () => {
  it('drops embeddings once records change, and keeps them when only labels do', () => {
    const withEmbeddings: Dataset = {
      ...dataset,
      embeddings: { data: new Float32Array(ROWS * 2), rows: ROWS, cols: 2 },
    }
    const flipped = applyAttack('label-flip', withEmbeddings, {}, 1)
    expect(flipped.dataset.embeddings).toBe(withEmbeddings.embeddings)
    const flooded = applyAttack('availability', withEmbeddings, { mode: 'flood' }, 1)
    expect(flooded.dataset.embeddings).toBeUndefined()
    expect(flooded.dataset.warnings).toEqual([
      'embeddings were dropped: the attack changed or added records they no longer describe',
    ])
  })

  it('names the missing inputs', () => {
    const digits = mnistDataset(50)
    expect(() => applyAttack('backdoor-token', digits, {}, 0)).toThrowErrorMatchingInlineSnapshot(
      `[PoisonguardError: attack backdoor-token needs a text column (name it with --text), which the dataset does not have]`,
    )
  })
})
