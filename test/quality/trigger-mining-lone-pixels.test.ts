import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { triggerMiningDetector } from '../../src/detectors/trigger-mining/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { countFlagged, prepareAsScan, runDetectorOn } from '../fixtures/detectors.js'
import { poisonMask } from '../fixtures/poison.js'
import { shapesDataset } from '../fixtures/shapes.js'

/*
 * Single pixels planted on the noisy shapes where honest records hold the same value by chance (docs/zoo.md,
 * "Small triggers on noisy shapes: the whole grid"): bright ink clips to 255, so the pixel value at large is carried
 * by honest circles too, and on small images half a class's own records read as other classes once a pixel is
 * hidden. Shapes and attack share the seed, as in the grid.
 */

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

afterAll(async () => {
  await backend?.dispose()
})

async function rankSinglePixel(shapes: Dataset, seed: number, params: object): Promise<number> {
  const run = applyAttack(
    'backdoor-patch',
    shapes,
    { target: 'circle', size: 1, value: 255, ...params },
    seed,
  )
  const result = await runDetectorOn(triggerMiningDetector, await prepareAsScan(run.dataset, backend))
  return averagePrecision(Array.from(result.suspicion), poisonMask(shapes.rowCount, run.poisonedRows))
}

describe('trigger-mining on single pixels the data also holds by chance', () => {
  it('finds a pixel of 255 in the middle of 3% of 32×32 grey shapes, whose template holds natural 255s', async () => {
    const shapes = shapesDataset({ side: 32, count: 1200, seed: 2 })
    expect(await rankSinglePixel(shapes, 2, { rate: 0.03, position: 'center' })).toBeGreaterThanOrEqual(0.95)
  })

  it('ranks the records holding the pixel apart above honest records holding its value, 16×16 colour', async () => {
    const shapes = shapesDataset({ side: 16, count: 1200, colour: true, seed: 1 })
    expect(await rankSinglePixel(shapes, 1, { rate: 0.03, position: 'center' })).toBeGreaterThanOrEqual(0.95)
  })

  it('finds single pixels on 8×8 shapes, where half a class reads elsewhere with a pixel hidden', async () => {
    for (const [colour, seed, position, margin] of [
      [false, 1, 'top-left', 0],
      [true, 2, 'center', 0],
    ] as const) {
      const shapes = shapesDataset({ side: 8, count: 1200, colour, seed })
      expect(await rankSinglePixel(shapes, seed, { rate: 0.03, position, margin })).toBeGreaterThanOrEqual(
        0.95,
      )
    }
  })

  it('reports no trigger on the clean 8×8 and 16×16 shapes of the same seeds, grey and colour', async () => {
    for (const side of [8, 16])
      for (const colour of [false, true])
        for (const seed of [1, 2]) {
          const shapes = shapesDataset({ side, count: 1200, colour, seed })
          const result = await runDetectorOn(triggerMiningDetector, await prepareAsScan(shapes, backend))
          expect(countFlagged(result.flagged)).toBe(0)
          expect(result.attacks ?? []).toEqual([])
        }
  })
})
