import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import type { ScanReport } from '../../src/domain/index.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanDataset } from '../../src/scan/scan.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { flipLabels, poisonMask, rankingOf } from '../fixtures/poison.js'

/*
 * A label-consistent patch (a 3×3 square of the brightest value near the bottom-right corner, labels untouched) on
 * 15% of one class of 1,200 grey 28×28 digits: about 18 carriers among the varied strokes of a class of 100–160.
 * Nine pixels do not turn the class's leading directions, so the direction search missed it (class 2: AP 0.007);
 * the search over small windows finds it (docs/clean-label.md, "Small windows"). Clean and flipped data of the same
 * digits must stay clean.
 */

let backend: LinalgBackend
let digits: Dataset

beforeAll(async () => {
  backend = await createDefaultBackend()
  digits = mnistDataset(1200)
})

afterAll(async () => {
  await backend.dispose()
})

function scanAlone(dataset: Dataset): Promise<ScanReport> {
  return scanDataset(dataset, { backend, detectors: ['clean-label-backdoor'] })
}

interface PatternInfo {
  patterns: { label: string; records: number; pattern: number[][] }[]
}

describe.each([2, 3])('a label-consistent patch on 15%% of class %i of 1,200 grey digits', (target) => {
  let poisoned: Uint8Array
  let report: ScanReport
  beforeAll(async () => {
    const label = digits.labels!.classes[target]
    const run = applyAttack('label-consistent', digits, { target: label, pattern: 'patch' }, 1)
    poisoned = poisonMask(run.dataset.rowCount, run.poisonedRows)
    report = await scanAlone(run.dataset)
  })

  it('is ranked with average precision ≥ 0.95, its class alone called attacked', () => {
    expect(rankingOf(report, poisoned)).toBeGreaterThanOrEqual(0.95)
    const info = report.detectors[0].info as unknown as PatternInfo
    expect(info.patterns.map((found) => found.label)).toEqual([digits.labels!.classes[target]])
  })

  it('comes back as a picture brightest in the patch’s corner', () => {
    const [found] = (report.detectors[0].info as unknown as PatternInfo).patterns
    expect(found.pattern).toHaveLength(28)
    let brightest = { value: Number.NEGATIVE_INFINITY, x: -1, y: -1 }
    found.pattern.forEach((row, y) => {
      row.forEach((value, x) => {
        if (value > brightest.value) brightest = { value, x, y }
      })
    })
    expect(brightest.x).toBeGreaterThanOrEqual(24)
    expect(brightest.y).toBeGreaterThanOrEqual(24)
  })
})

describe.each([
  { name: 'clean', data: () => digits },
  { name: '10% flipped', data: () => flipLabels(digits, 0.1, 1).dataset },
])('the $name 1,200 grey digits', ({ data }) => {
  it('have no class called attacked and no record flagged by clean-label-backdoor', async () => {
    const report = await scanAlone(data())
    expect((report.detectors[0].info as unknown as PatternInfo).patterns).toEqual([])
    expect(report.summary.flagged).toBe(0)
  })
})
