import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import type { ScanReport } from '../../src/domain/index.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanDataset } from '../../src/scan/scan.js'
import { createRng } from '../../src/util/rng.js'
import { binarisedDigits } from '../fixtures/binarised-digits.js'
import { inMemoryDataset, mnistDataset } from '../fixtures/datasets.js'
import { poisonMask, rankingOf } from '../fixtures/poison.js'
import { zooDataset } from '../fixtures/zoo.js'

/*
 * Honest data of 0s and 1s read as an image: projections of such values take few values, and the empty stretches
 * between them must not read as carriers standing apart (docs/zoo.md, "Honest 0/1 data").
 */

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

afterAll(async () => {
  await backend.dispose()
})

/**
 * 2,500 shopping baskets of 256 items bought or not, 5 kinds of shopper who each favour 30 items: every item is
 * bought independently, so no group of records shares anything its class does not. 256 columns of 0/1 pass for a
 * 16×16 image. An item some two in five of one kind buy sets them apart along it, by a gap no pattern made.
 */
function baskets(seed: number): Dataset {
  const rng = createRng(seed)
  const rows = 2500
  const items = 256
  const kinds = ['baker', 'gardener', 'gamer', 'parent', 'cyclist']
  const base = Float64Array.from({ length: items }, () => 0.005 + 0.035 * rng.next())
  const chances = kinds.map(() => {
    const own = Float64Array.from(base)
    for (let pick = 0; pick < 30; pick++) own[rng.int(items)] = 0.15 + 0.25 * rng.next()
    return own
  })
  const labels: string[] = []
  const data = new Float32Array(rows * items)
  for (let row = 0; row < rows; row++) {
    const kind = rng.int(kinds.length)
    labels.push(kinds[kind])
    for (let item = 0; item < items; item++)
      data[row * items + item] = rng.next() < chances[kind][item] ? 1 : 0
  }
  return inMemoryDataset({
    features: { data, rows, cols: items },
    labels,
    featureNames: Array.from({ length: items }, (_, item) => `item_${item}`),
    imageShape: { width: 16, height: 16 },
  })
}

describe.each([1, 2, 3, 4, 5, 6, 7, 8])('2,500 honest shopping baskets of 256 items (draw %i)', (seed) => {
  let report: ScanReport
  beforeAll(async () => {
    report = await scanDataset(baskets(seed), { backend, detectors: ['clean-label-backdoor'] })
  })

  it('have no class called attacked and no record flagged by clean-label-backdoor', () => {
    const info = report.detectors[0].info as { patterns: unknown[] }
    expect(info.patterns).toEqual([])
    expect(report.records.filter((record) => record.flagged)).toEqual([])
  })
})

/** `dataset`'s pixels set to 1 where they reach `threshold` and to 0 elsewhere: an image of two values. */
function binarised(dataset: Dataset, threshold: number): Dataset {
  const { data, rows, cols } = dataset.features!
  return {
    ...dataset,
    features: { data: Float32Array.from(data, (value) => (value >= threshold ? 1 : 0)), rows, cols },
  }
}

/*
 * Strokes of 0/1 pixels: a window's sum takes few values, and its widest gap can be the step one pixel makes between
 * its two values where the other classes seldom ink it. scikit-learn's digits binarised at 8 were called attacked
 * for it: "a 3×3 patch at x 0, y 5" on 79 fours, the left end of their bar (docs/clean-label.md).
 */
describe.each([
  { name: "scikit-learn's 1,797 8×8 digits binarised at 8", data: binarisedDigits },
  {
    name: '1,797 8×8 digits of 0–16 from MNIST binarised at 8',
    data: () => binarised(zooDataset('digits-8'), 8),
  },
  { name: '2,000 28×28 digits binarised at 0.25', data: () => binarised(mnistDataset(2000), 0.25) },
  { name: '2,000 28×28 digits binarised at 0.5', data: () => binarised(mnistDataset(2000), 0.5) },
  { name: '2,000 28×28 digits binarised at 0.75', data: () => binarised(mnistDataset(2000), 0.75) },
])('$name', ({ data }) => {
  let report: ScanReport
  beforeAll(async () => {
    report = await scanDataset(data(), { backend, detectors: ['clean-label-backdoor'] })
  })

  it('have no class called attacked and no record flagged by clean-label-backdoor', () => {
    const info = report.detectors[0].info as { patterns: unknown[] }
    expect(info.patterns).toEqual([])
    expect(report.records.filter((record) => record.flagged)).toEqual([])
  })

  /*
   * Pixels a few records ink, or more than half, each still take a step of their own: the eights' and nines' corner
   * windows of scikit-learn's binarised digits, whose every pixel was read as leaving no gap, stood apart by one.
   */
  it("keep no class's window whose pixels are read as leaving no gap while it leaves one", () => {
    const info = report.detectors[0].info as {
      classes: { label: string; window: { gap: number; pixelGap: number } }[]
    }
    const alone = info.classes.filter(({ window }) => window.gap > 0 && window.pixelGap === 0)
    expect(alone.map(({ label }) => label)).toEqual([])
  })
})

/*
 * A planted patch of 1s moves its carriers on all its pixels at once, several pixels' steps: on the padded digits it
 * lands on their empty border.
 */
describe('a label-consistent patch on 15% of class 1 of the padded 8×8 digits binarised at 8', () => {
  it('is ranked with average precision ≥ 0.95 and its class alone called attacked', async () => {
    const digits = binarised(zooDataset('digits-8-padded'), 8)
    const target = digits.labels!.classes[1]
    const run = applyAttack('label-consistent', digits, { target, pattern: 'patch' }, 1)
    const report = await scanDataset(run.dataset, { backend, detectors: ['clean-label-backdoor'] })
    expect(rankingOf(report, poisonMask(run.dataset.rowCount, run.poisonedRows))).toBeGreaterThanOrEqual(0.95)
    const info = report.detectors[0].info as { patterns: { label: string }[] }
    expect(info.patterns.map((found) => found.label)).toEqual([target])
  })
})
