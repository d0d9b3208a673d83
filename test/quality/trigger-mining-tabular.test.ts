import { describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import type { DetectorResult } from '../../src/detectors/types.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { createRng } from '../../src/util/rng.js'
import { inMemoryDataset } from '../fixtures/datasets.js'
import { mineTableTriggers, type PreparedScan, prepareAsScan, scanPrepared } from '../fixtures/detectors.js'
import { inkProfiles } from '../fixtures/zoo.js'

const backend = createPortableBackend()

type AttackRun = ReturnType<typeof applyAttack>

/** Three classes over 8 Gaussian columns (each class shifts every third one) and 4 Poisson count columns. */
function tabularDataset(rowCount: number, seed: number): Dataset {
  const rng = createRng(seed)
  const cols = 12
  const data = new Float32Array(rowCount * cols)
  const labels: string[] = []
  for (let row = 0; row < rowCount; row++) {
    const label = rng.int(3)
    labels.push(`c${label}`)
    for (let col = 0; col < 8; col++) data[row * cols + col] = rng.normal() + (col % 3 === label ? 1.5 : 0)
    for (let col = 8; col < cols; col++) {
      const rate = 2 + label + (col - 8)
      let count = 0
      let probability = Math.exp(-rate)
      let cumulative = probability
      const draw = rng.next()
      while (draw > cumulative && count < 12) {
        count++
        probability *= rate / count
        cumulative += probability
      }
      data[row * cols + col] = count
    }
  }
  return inMemoryDataset({
    path: 'memory:tabular',
    ids: labels.map((_, row) => `t${row}`),
    labels,
    features: { data, rows: rowCount, cols },
    featureNames: Array.from({ length: cols }, (_, col) => (col < 8 ? `x${col}` : `n${col - 8}`)),
  })
}

function mineTriggers(dataset: Dataset) {
  return mineTableTriggers(dataset, backend)
}

describe('trigger-mining on tabular backdoors', () => {
  const dataset = tabularDataset(5000, 3)

  it('reports nothing on the clean table', async () => {
    const result = await mineTriggers(dataset)
    expect(result.info.triggers).toEqual([])
    expect(result.flagged.every((flag) => flag === 0)).toBe(true)
  })

  it.each([
    {
      name: 'two continuous columns at their maximum',
      params: { rate: 0.03, target: 'c0', columns: ['x1', 'x5'] },
      named: /x1 = .* and x5 = /,
    },
    { name: 'three random columns', params: { rate: 0.05, target: 'c2' }, named: /^the values .*, .* and / },
    {
      // Its carriers pass the detector's 15% cap: each value is tested as one that stands alone in its column.
      name: 'three continuous columns on a sixth of the rows',
      params: { rate: 0.16, target: 'c1', columns: ['x0', 'x4', 'x7'] },
      named: /x0 = .*, x4 = .* and x7 = /,
    },
    {
      name: 'one column at an in-range value',
      params: { rate: 0.02, target: 'c0', columns: ['x3'], values: 0.5 },
      named: /^the value x3 = 0.5$/,
    },
  ])('names $name and ranks its rows with AP ≥ 0.95', async ({ params, named }) => {
    const run = applyAttack('backdoor-feature', dataset, params, 1)
    const result = await mineTriggers(run.dataset)
    const poisoned = new Uint8Array(run.dataset.rowCount)
    for (const row of run.poisonedRows) poisoned[row] = 1
    expect(averagePrecision(result.suspicion, poisoned)).toBeGreaterThanOrEqual(0.95)
    const [trigger] = result.info.triggers as { description: string; label: string }[]
    expect(trigger.label).toBe(params.target)
    expect(trigger.description).toMatch(named)
  })
})

/*
 * A table of real measurements, continuous as most users' are: 3,000 MNIST digits as the ink of each pixel row and
 * column. Three columns set to their maxima make the carriers each other's only neighbours in the scan's geometry
 * (so their neighbours' labels said nothing) and share the trigger in every column it writes (so hiding one column
 * left two to hold them together): the scan found no trigger and ranked the carriers at AP 0.14 and 0.14.
 */
describe('trigger-mining on the ink profiles of 3,000 digits', () => {
  const dataset = inkProfiles()

  it('reports nothing on the honest table', async () => {
    const result = await mineTriggers(dataset)
    expect(result.info.triggers).toEqual([])
  })

  // At 5% (seeds 2 and 3) and 10% (seed 2) the trigger was missed: the relabelled carriers raised their target's
  // share of the rows, which stood in for the carriers too crowded to be read, and the three planted columns
  // widened the null of ordinary column values as three features.
  // The scan's own geometry left the trigger of seed 2 untested at 5% and seed 3 to the spectral signature alone:
  // those plantings are held to the default scan's verdict too.
  const plantings = [
    { seed: 1, rate: 0.05, verdict: false },
    { seed: 2, rate: 0.03, verdict: false },
    { seed: 2, rate: 0.05, verdict: true },
    { seed: 3, rate: 0.05, verdict: true },
    { seed: 2, rate: 0.1, verdict: false },
  ]
  type Planting = (typeof plantings)[number]
  const plant = ({ seed, rate }: Planting) =>
    applyAttack('backdoor-feature', dataset, { rate, target: '0' }, seed)

  /** The default scan of each planting whose verdict is checked, run once for both of its tests. */
  const scans = new Map<string, Promise<{ run: AttackRun; scan: PreparedScan }>>()
  function scanned(planting: Planting) {
    const key = `${planting.seed}/${planting.rate}`
    let entry = scans.get(key)
    if (!entry) {
      const run = plant(planting)
      entry = prepareAsScan(run.dataset, backend).then(async (input) => ({
        run,
        scan: await scanPrepared(input),
      }))
      scans.set(key, entry)
    }
    return entry
  }

  /**
   * A planting and trigger-mining's result on it. Where the default scan runs anyway, the result is taken from it:
   * the scan prepares the input `mineTriggers` does, and a detector's result within a scan is the one it gives alone.
   */
  async function mined(planting: Planting): Promise<{ run: AttackRun; result: DetectorResult }> {
    if (planting.verdict) {
      const { run, scan } = await scanned(planting)
      return { run, result: scan.result('trigger-mining') }
    }
    const run = plant(planting)
    return { run, result: await mineTriggers(run.dataset) }
  }

  it.each(plantings)(
    'names three columns set to their maxima (seed $seed, rate $rate) and ranks their rows with AP ≥ 0.95',
    async (planting) => {
      const { run, result } = await mined(planting)
      const poisoned = new Uint8Array(run.dataset.rowCount)
      for (const row of run.poisonedRows) poisoned[row] = 1
      expect(averagePrecision(result.suspicion, poisoned)).toBeGreaterThanOrEqual(0.95)
      const [trigger] = result.info.triggers as { label: string; features: string[] }[]
      expect(trigger.label).toBe('0')
      // Named in the data's own units: the planted columns and values.
      const planted = (run.info.columns as string[]).map(
        (name, index) => `${name} = ${Number((run.info.values as number[])[index].toPrecision(6))}`,
      )
      expect(trigger.features.length).toBeGreaterThanOrEqual(2)
      for (const feature of trigger.features) expect(planted).toContain(feature)
    },
  )

  it.each(plantings.filter(({ verdict }) => verdict))(
    'gets a verdict that names the trigger (seed $seed, rate $rate)',
    async (planting) => {
      const { run, scan } = await scanned(planting)
      const trigger = scan.report.summary.verdict?.attacks.find((attack) => attack.kind === 'trigger')
      expect(trigger?.label).toBe('0')
      expect(trigger?.records).toBeGreaterThanOrEqual(0.95 * run.poisonedRows.length)
    },
  )
})

describe('trigger-mining on degenerate data', () => {
  function tiny(rows: number[][], labels: string[], texts?: string[]): Dataset {
    return inMemoryDataset({
      path: 'memory:tiny',
      ids: rows.map((_, row) => `r${row}`),
      labels,
      texts,
      features: { data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0].length },
    })
  }

  it.each([
    { name: 'three records', dataset: tiny([[0], [1], [2]], ['a', 'b', 'a']) },
    {
      name: 'identical records',
      dataset: tiny(
        Array.from({ length: 40 }, () => [1, 1]),
        Array.from({ length: 40 }, (_, row) => (row % 2 ? 'a' : 'b')),
      ),
    },
    {
      name: 'empty texts and missing labels',
      dataset: tiny(
        Array.from({ length: 30 }, (_, row) => [row]),
        Array.from({ length: 30 }, (_, row) => (row % 3 === 0 ? '' : row % 2 ? 'spam' : 'ham')),
        Array.from({ length: 30 }, (_, row) => (row % 4 === 0 ? '' : `word${row % 5} other`)),
      ),
    },
  ])('gives an empty, valid result on $name', async ({ dataset }) => {
    const result = await mineTriggers(dataset)
    expect(result.suspicion).toHaveLength(dataset.rowCount)
    expect(result.flagged.every((flag) => flag === 0)).toBe(true)
    expect(result.info.triggers).toEqual([])
  })
})
