import { describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../test/fixtures/datasets.js'
import { cellSeed, planBenchmark } from './bench-plan.js'

/** A tabular dataset: numeric features and labels, no text and no images. */
function tabularSplit(name: string) {
  const rowCount = 40
  const train = inMemoryDataset({
    path: `memory:${name}`,
    ids: Array.from({ length: rowCount }, (_, row) => `r${row}`),
    labels: Array.from({ length: rowCount }, (_, row) => String(row % 2)),
    features: { data: new Float32Array(rowCount * 3), rows: rowCount, cols: 3 },
    featureNames: ['a', 'b', 'c'],
  })
  return { name, train, test: train }
}

describe('benchmark plan', () => {
  it('runs every supported attack at every rate, and attacks without a rate once', () => {
    const { cells, unsupported } = planBenchmark([tabularSplit('t')], {
      quick: false,
      seed: 1,
      rates: [0.1, 0.2],
    })
    const keys = cells.map((cell) => `${cell.attack}@${cell.rate}`)
    expect(keys).toContain('label-flip@0.1')
    expect(keys).toContain('backdoor-feature@0.2')
    expect(keys.filter((key) => key.startsWith('targeted@'))).toEqual(['targeted@null'])
    expect(keys.some((key) => key.startsWith('backdoor-patch') || key.startsWith('backdoor-token'))).toBe(
      false,
    )
    // Pixels, text, fine-tuning pairs and retrieval corpora: none of them in a table of numbers.
    expect(unsupported.map((entry) => entry.attack)).toEqual([
      'backdoor-patch',
      'backdoor-token',
      'instruction-backdoor',
      'payload-injection',
      'rag-inject',
    ])
  })

  it('takes two attacks and one rate under quick', () => {
    const { cells } = planBenchmark([tabularSplit('t')], { quick: true, seed: 1 })
    expect(cells.map((cell) => `${cell.attack}@${cell.rate}`)).toEqual([
      'label-flip@0.1',
      'backdoor-feature@0.1',
    ])
  })

  it('lists requested attacks a dataset cannot take, with the reason', () => {
    const plan = planBenchmark([tabularSplit('t')], { quick: false, seed: 1, attacks: ['backdoor-token'] })
    expect(plan.cells).toEqual([])
    expect(plan.unsupported).toEqual([
      expect.objectContaining({
        dataset: 't',
        attack: 'backdoor-token',
        reason: expect.stringMatching(/text/),
      }),
    ])
  })

  it('rejects unknown attacks and rates outside (0, 1]', () => {
    const splits = [tabularSplit('t')]
    expect(() => planBenchmark(splits, { quick: false, seed: 1, attacks: ['nope'] })).toThrow(
      /unknown attack "nope"; valid attacks: label-flip/,
    )
    expect(() => planBenchmark(splits, { quick: false, seed: 1, rates: [0.1, 1.5, 0] })).toThrow(
      'rates must be shares in (0, 1], e.g. 0.01,0.05; received 1.5, 0',
    )
  })

  it('gives every cell its own seed that does not depend on the rest of the matrix', () => {
    const alone = planBenchmark([tabularSplit('t')], {
      quick: false,
      seed: 1,
      attacks: ['label-flip'],
      rates: [0.1],
    })
    const wide = planBenchmark([tabularSplit('t')], { quick: false, seed: 1, rates: [0.05, 0.1] })
    const match = wide.cells.find((cell) => cell.attack === 'label-flip' && cell.rate === 0.1)
    expect(match?.seed).toBe(alone.cells[0].seed)
    expect(new Set(wide.cells.map((cell) => cell.seed)).size).toBe(wide.cells.length)
    expect(cellSeed(2, 'x')).not.toBe(cellSeed(1, 'x'))
  })
})
