import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dataset } from '../../src/data/dataset.js'
import type { ScanReport } from '../../src/domain/index.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanDataset } from '../../src/scan/scan.js'
import { createRng } from '../../src/util/rng.js'
import { inMemoryDataset } from '../fixtures/datasets.js'

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
