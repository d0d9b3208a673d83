import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanDataset } from '../../src/scan/scan.js'
import { poisonMask, rankingOf } from '../fixtures/poison.js'
import { shapesDataset } from '../fixtures/shapes.js'

/*
 * A patch whose box sum is no further out than a bright ground's: on drawn shapes every pixel's ground varies from
 * image to image, and only the patch's sharp edge against the record's own ground sets it apart (docs/clean-label.md,
 * "A patch read against its ring").
 */

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

afterAll(async () => {
  await backend.dispose()
})

describe('a 3×3 corner patch of 255 on 15% of the circles of 64×64 noisy shapes (attack seed 1)', () => {
  it('is ranked with average precision ≥ 0.95, the circles alone called, by a window read against its ring', async () => {
    const run = applyAttack(
      'label-consistent',
      shapesDataset({ side: 64, count: 1200 }),
      { target: 'circle', pattern: 'patch' },
      1,
    )
    const report = await scanDataset(run.dataset, { backend, detectors: ['clean-label-backdoor'] })
    expect(rankingOf(report, poisonMask(run.dataset.rowCount, run.poisonedRows))).toBeGreaterThanOrEqual(0.95)
    const info = report.detectors[0].info as {
      patterns: { label: string }[]
      classes: { label: string; window: { kind: string; x: number; y: number } }[]
    }
    expect(info.patterns.map((found) => found.label)).toEqual(['circle'])
    const circle = info.classes.find(({ label }) => label === 'circle')!
    expect(circle.window).toMatchObject({ kind: 'ring', x: 60, y: 60 })
  })
})
