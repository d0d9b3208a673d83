import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import type { ScanReport } from '../../src/domain/index.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanDataset } from '../../src/scan/scan.js'
import { flipLabels, poisonMask, rankingOf } from '../fixtures/poison.js'
import { unseenDataset } from '../fixtures/unseen.js'

/*
 * Label-consistent patterns on the tinted RGB digits (`rgb-32`: ink and ground in random colours per image), found
 * by clean-label-backdoor alone. The attack writes every channel: the sine brightens and darkens all three alike, the
 * patch is white, the blended key is random per channel. The whole scan of the clean and flipped data, which runs
 * this detector among the others and must call no attack, is held in unseen-shapes.test.ts.
 */

let backend: LinalgBackend
let rgb: Dataset

beforeAll(async () => {
  backend = await createDefaultBackend()
  rgb = unseenDataset('rgb-32')
})

afterAll(async () => {
  await backend.dispose()
})

function scanAlone(dataset: Dataset): Promise<ScanReport> {
  return scanDataset(dataset, { backend, detectors: ['clean-label-backdoor'] })
}

interface PatternInfo {
  classes: { label: string; pValue: number }[]
  patterns: { label: string; records: number; pattern: number[][] }[]
}

/*
 * The patch on class 1, which the direction search finds, and on class 2, where nine pixels on about 15 carriers do
 * not turn any of the 2s' leading directions and only the search over small windows finds it (AP 0.007 before it;
 * docs/clean-label.md).
 */
const cases = [
  { pattern: 'sine', target: 2 },
  { pattern: 'blend', target: 2 },
  { pattern: 'patch', target: 1 },
  { pattern: 'patch', target: 2 },
] as const

describe.each(cases)(
  'a label-consistent $pattern on 15% of class $target of the tinted RGB digits',
  (testCase) => {
    let poisoned: Uint8Array
    let report: ScanReport
    beforeAll(async () => {
      const target = rgb.labels!.classes[testCase.target]
      const run = applyAttack('label-consistent', rgb, { target, pattern: testCase.pattern }, 1)
      poisoned = poisonMask(run.dataset.rowCount, run.poisonedRows)
      report = await scanAlone(run.dataset)
    })

    it('is ranked with average precision ≥ 0.95 and its class alone called attacked', () => {
      expect(rankingOf(report, poisoned)).toBeGreaterThanOrEqual(0.95)
      expect(report.summary.verdict?.verdict).toBe('poisoned')
      const info = report.detectors[0].info as unknown as PatternInfo
      expect(info.patterns.map((found) => found.label)).toEqual([rgb.labels!.classes[testCase.target]])
    })

    it.runIf(testCase.pattern === 'patch')('comes back as a picture brightest in the patch’s corner', () => {
      const [found] = (report.detectors[0].info as unknown as PatternInfo).patterns
      expect(found.pattern).toHaveLength(rgb.imageShape!.height)
      let brightest = { value: Number.NEGATIVE_INFINITY, x: -1, y: -1 }
      found.pattern.forEach((row, y) => {
        expect(row).toHaveLength(rgb.imageShape!.width)
        row.forEach((value, x) => {
          if (value > brightest.value) brightest = { value, x, y }
        })
      })
      expect(brightest.x).toBeGreaterThanOrEqual(28)
      expect(brightest.y).toBeGreaterThanOrEqual(28)
    })
  },
)

describe.each([
  { name: 'clean', data: () => rgb },
  { name: '10% flipped', data: () => flipLabels(rgb, 0.1, 1).dataset },
])('the $name tinted RGB digits', ({ data }) => {
  it('have no class called attacked and no record flagged by clean-label-backdoor', async () => {
    const report = await scanAlone(data())
    const info = report.detectors[0].info as unknown as PatternInfo
    expect(info.classes).toHaveLength(rgb.labels!.classes.length)
    expect(info.patterns).toEqual([])
    expect(report.summary.flagged).toBe(0)
  })
})
