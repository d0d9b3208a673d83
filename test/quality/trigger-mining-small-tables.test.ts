import { describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { inMemoryDataset } from '../fixtures/datasets.js'
import { mineTableTriggers } from '../fixtures/detectors.js'
import { flipLabels } from '../fixtures/poison.js'
import { inkProfiles, zooDataset } from '../fixtures/zoo.js'

const backend = createPortableBackend()

/**
 * 180 digits 0–2 as 13 columns of the ink profiles (every other pixel row and column from the middle), each in
 * inked pixels to one decimal: a table the size of a small measurement study, whose columns of two or three
 * significant digits repeat values naturally, so hundreds of values enter the trigger search.
 */
function smallTable(): Dataset {
  const ink = inkProfiles()
  const { data, cols } = ink.features!
  const picked = [6, 8, 10, 12, 14, 16, 18, 20, 34, 38, 42, 46, 50]
  const rows: number[] = []
  for (let row = 0; row < ink.rowCount && rows.length < 180; row++)
    if (ink.labels!.codes[row] >= 0 && Number(ink.labels!.classes[ink.labels!.codes[row]]) < 3) rows.push(row)
  const table = new Float32Array(rows.length * picked.length)
  rows.forEach((row, index) => {
    picked.forEach((col, at) => {
      table[index * picked.length + at] = Math.round((data[row * cols + col] / 255) * 10) / 10
    })
  })
  return inMemoryDataset({
    path: 'memory:small-ink',
    ids: rows.map((row) => `s${row}`),
    labels: rows.map((row) => ink.labels!.classes[ink.labels!.codes[row]]),
    features: { data: table, rows: rows.length, cols: picked.length },
    featureNames: picked.map((col) => ink.featureNames[col]),
  })
}

function mineTriggers(dataset: Dataset) {
  return mineTableTriggers(dataset, backend)
}

/*
 * On a table of 180 records, a trigger of three columns set to their maxima on 9 records was tested among a few
 * hundred column values, and its carriers' label excess (p ≈ 10⁻⁴) missed the correction. The values the
 * trigger writes share their records in every column, which no label test uses and natural rare values do not do.
 */
describe('trigger-mining on a table of 180 records', () => {
  const dataset = smallTable()

  it('reports nothing on the honest table, nor after 10% random flips', async () => {
    for (const table of [dataset, flipLabels(dataset, 0.1, 1).dataset]) {
      const result = await mineTriggers(table)
      expect(result.info.triggers).toEqual([])
      expect(result.flagged.every((flag) => flag === 0)).toBe(true)
    }
  })

  it.each([
    { seed: 1, rate: 0.05, columnCount: 3 },
    { seed: 2, rate: 0.05, columnCount: 2 },
    { seed: 3, rate: 0.08, columnCount: 4 },
    { seed: 3, rate: 0.05, columnCount: 3 },
    { seed: 5, rate: 0.1, columnCount: 3 },
    { seed: 6, rate: 0.05, columnCount: 1 },
    { seed: 4, rate: 0.05, columnCount: 5 },
  ])(
    'names $columnCount column(s) set to their maxima on $rate of the records (seed $seed), AP ≥ 0.95',
    async ({ seed, rate, columnCount }) => {
      const columns = dataset.featureNames.filter((_, col) => (col * 5 + seed) % 13 < columnCount)
      const run = applyAttack('backdoor-feature', dataset, { rate, target: '1', columns }, seed)
      const result = await mineTriggers(run.dataset)
      const poisoned = new Uint8Array(run.dataset.rowCount)
      for (const row of run.poisonedRows) poisoned[row] = 1
      expect(averagePrecision(result.suspicion, poisoned)).toBeGreaterThanOrEqual(0.95)
      const [trigger] = result.info.triggers as { label: string; features: string[] }[]
      expect(trigger.label).toBe('1')
      for (const feature of trigger.features) expect(columns).toContain(feature.split(' = ')[0])
    },
  )
})

/*
 * The 150 iris flowers are measured to a tenth of a centimetre, so their columns repeat values: a trigger of three
 * columns set to their maxima on 15% of them (23 records, past the detector's 15% cap with the flowers that held the
 * values) writes a petal width of 2.5 into 26 records, beside 29 natural flowers of width 0.2. The two other values
 * stand alone in their columns, and the petal width is carried by the same records; it was left out, and with it
 * visible the carriers read one another as their class (fused AP 0.17).
 */
describe('trigger-mining on the iris flowers', () => {
  const iris = zooDataset('iris')

  it('reports nothing on the honest flowers, nor after 10% random flips', async () => {
    for (const table of [iris, flipLabels(iris, 0.1, 1).dataset]) {
      const result = await mineTriggers(table)
      expect(result.info.triggers).toEqual([])
    }
  })

  it.each([1, 2, 3])(
    'names three columns set to their maxima on 15% of them (seed %i), AP ≥ 0.95',
    async (seed) => {
      const run = applyAttack('backdoor-feature', iris, { rate: 0.15 }, seed)
      const result = await mineTriggers(run.dataset)
      const poisoned = new Uint8Array(run.dataset.rowCount)
      for (const row of run.poisonedRows) poisoned[row] = 1
      expect(averagePrecision(result.suspicion, poisoned)).toBeGreaterThanOrEqual(0.95)
      const [trigger] = result.info.triggers as { label: string; features: string[] }[]
      expect(trigger.label).toBe(run.info.target)
      expect(trigger.features.map((feature) => feature.split(' = ')[0]).sort()).toEqual(
        [...(run.info.columns as string[])].sort(),
      )
    },
  )
})
