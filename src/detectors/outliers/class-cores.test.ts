import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../../test/fixtures/datasets.js'
import { prepareAsScan, runDetectorOn } from '../../../test/fixtures/detectors.js'
import type { LinalgBackend } from '../../linalg/backend.js'
import { createDefaultBackend } from '../../linalg/default-backend.js'
import { createRng } from '../../util/rng.js'
import { outliersDetector } from './index.js'

let backend: LinalgBackend
beforeAll(async () => {
  backend = await createDefaultBackend()
})
afterAll(async () => {
  await backend.dispose()
})

/**
 * Three well-separated classes of four Gaussian measurements: `small` of class a, 60 each of b and c. The first
 * `flipped` records of a carry the labels b and c in turn, as random flips leave them.
 */
function threeClasses(small: number, flipped: number, seed: number) {
  const rng = createRng(seed)
  const centres = { a: [0, 0, 0, 0], b: [8, 0, 8, 0], c: [0, 8, 0, 8] }
  const rows: number[] = []
  const labels: string[] = []
  for (const [name, count] of [
    ['a', small],
    ['b', 60],
    ['c', 60],
  ] as const) {
    for (let index = 0; index < count; index++) {
      rows.push(...centres[name].map((centre) => centre + rng.normal()))
      labels.push(name === 'a' && index < flipped ? (index % 2 === 0 ? 'b' : 'c') : name)
    }
  }
  const rowCount = labels.length
  return inMemoryDataset({ features: { data: Float32Array.from(rows), rows: rowCount, cols: 4 }, labels })
}

describe('the robust distance’s cores', () => {
  it('include a class too small to be judged on its own, so its flipped records are at home there', async () => {
    // Class a keeps 40 of its records under its own label: below the 50 a class needs to be judged on its tails.
    for (const seed of [1, 2, 3]) {
      const dataset = threeClasses(46, 6, seed)
      const result = await runDetectorOn(outliersDetector, await prepareAsScan(dataset, backend))
      expect(result.attacks).toEqual([])
      expect(Array.from(result.flagged.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0])
    }
  })
})
