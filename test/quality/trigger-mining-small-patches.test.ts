import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dataset } from '../../src/data/dataset.js'
import { triggerMiningDetector } from '../../src/detectors/trigger-mining/index.js'
import type { DetectorResult } from '../../src/detectors/types.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import {
  countFlagged,
  type PreparedScan,
  prepareAsScan,
  prepareOnce,
  runDetectorOn,
  scanPrepared,
} from '../fixtures/detectors.js'
import { plantPatchBackdoor, rankingOf } from '../fixtures/poison.js'
import { shapesDataset } from '../fixtures/shapes.js'

/*
 * Small patches on images with a noisy ground (docs/zoo.md, "Small patches on noisy shapes"): no level is
 * background there, and the values a patch is written with (the data's maximum, where bright ink clips; its
 * minimum, where a dark ground clips) are common in the data.
 */

let backend: LinalgBackend
/** The clean shapes, each drawn once: several tests plant their patches in the same images. */
let grey64: Dataset
let grey32: Dataset
let colour32: Dataset
let grey8: Dataset

beforeAll(async () => {
  backend = await createDefaultBackend()
  grey64 = shapesDataset({ side: 64, count: 1200 })
  grey32 = shapesDataset({ side: 32, count: 1200 })
  colour32 = shapesDataset({ side: 32, count: 1200, colour: true })
  grey8 = shapesDataset({ side: 8, count: 1200 })
})

afterAll(async () => {
  await backend?.dispose()
})

async function mine(dataset: Dataset): Promise<DetectorResult> {
  return runDetectorOn(triggerMiningDetector, await prepareAsScan(dataset, backend))
}

/**
 * The default scan of the clean 64×64 shapes, run once: its verdict is checked, and trigger-mining's result within
 * it is the one the detector gives alone on the same input.
 */
let cleanScan: Promise<PreparedScan> | undefined
function scannedCleanGrey64() {
  cleanScan ??= prepareOnce(grey64, backend).then((input) => scanPrepared(input))
  return cleanScan
}

function patchRanking(result: DetectorResult, poisoned: Uint8Array): number {
  return averagePrecision(Array.from(result.suspicion), poisoned)
}

describe('trigger-mining on drawn shapes with a noisy ground', () => {
  it('reports no trigger on the clean shapes, grey and colour, large and small', async () => {
    for (const result of [
      (await scannedCleanGrey64()).result('trigger-mining'),
      await mine(colour32),
      await mine(grey8),
    ]) {
      expect(countFlagged(result.flagged)).toBe(0)
      expect(result.attacks ?? []).toEqual([])
    }
  })

  it('finds a 3×3 patch of the maximum where bright ink clips to it, on 3% of 64×64 images', async () => {
    const { dataset, poisoned } = plantPatchBackdoor(grey64, {
      rate: 0.03,
      target: 'circle',
      size: 3,
      position: 'center',
    })
    const { report } = await scanPrepared(await prepareOnce(dataset, backend))
    expect(rankingOf(report, poisoned)).toBeGreaterThanOrEqual(0.95)
    expect(report.summary.verdict?.verdict).toBe('poisoned')
  })

  it('finds a 3×3 patch of the minimum, the most common level, on 3% of 64×64 images', async () => {
    const { dataset, poisoned } = plantPatchBackdoor(grey64, {
      rate: 0.03,
      target: 'circle',
      size: 3,
      value: 0,
    })
    expect(patchRanking(await mine(dataset), poisoned)).toBeGreaterThanOrEqual(0.95)
  })

  it('finds a 2×2 patch of the minimum in the middle of 3% of 32×32 colour images', async () => {
    const { dataset, poisoned } = plantPatchBackdoor(colour32, {
      rate: 0.03,
      target: 'circle',
      size: 2,
      position: 'center',
      value: 0,
    })
    expect(patchRanking(await mine(dataset), poisoned)).toBeGreaterThanOrEqual(0.95)
  })

  it('finds a single pixel of the minimum on 3% of 8×8 images', async () => {
    const { dataset, poisoned } = plantPatchBackdoor(grey8, {
      rate: 0.03,
      target: 'circle',
      size: 1,
      position: 'top-left',
      value: 0,
    })
    expect(patchRanking(await mine(dataset), poisoned)).toBeGreaterThanOrEqual(0.95)
  })

  it('finds a single pixel of the maximum in the middle of 5% of 64×64 images, beside candidates of the ground', async () => {
    const { dataset, poisoned } = plantPatchBackdoor(grey64, {
      rate: 0.05,
      target: 'circle',
      size: 1,
      position: 'center',
    })
    expect(patchRanking(await mine(dataset), poisoned)).toBeGreaterThanOrEqual(0.95)
  })

  it('finds a single pixel of the maximum in a corner of 64×64 and 32×32 images', async () => {
    for (const [images, rate, position] of [
      [grey64, 0.03, 'top-left'],
      [grey32, 0.05, 'bottom-right'],
    ] as const) {
      const { dataset, poisoned } = plantPatchBackdoor(images, { rate, target: 'circle', size: 1, position })
      expect(patchRanking(await mine(dataset), poisoned)).toBeGreaterThanOrEqual(0.95)
    }
  })

  it('finds a single pixel of the maximum standing apart from the pixels around it on 32×32 images', async () => {
    // Bright ink clips to the same value, so pixel values of the maximum are label-telling by nature; where the
    // pixel stands apart from its neighbours, ink does not explain it.
    for (const [rate, position] of [
      [0.03, 'top-left'],
      [0.05, 'center'],
    ] as const) {
      const { dataset, poisoned } = plantPatchBackdoor(grey32, { rate, target: 'circle', size: 1, position })
      expect(patchRanking(await mine(dataset), poisoned)).toBeGreaterThanOrEqual(0.95)
    }
  })

  it('keeps the clean 64×64 shapes clean in the default scan', async () => {
    const { report } = await scannedCleanGrey64()
    expect(report.summary.flagged / grey64.rowCount).toBeLessThanOrEqual(0.01)
    expect(report.summary.verdict?.verdict).toBe('clean')
  })
})
