import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import { nearDuplicatesDetector } from '../../src/detectors/near-duplicates/index.js'
import type { Detector } from '../../src/detectors/types.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { prepareAsScan, runDetectorOn } from '../fixtures/detectors.js'
import { zooDataset } from '../fixtures/zoo.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

/*
 * Ten copies of one subject line, each with one word repeated, inserted or moved, labelled spam: the edit keeps most
 * pairs under the shingle bar, so only a few copies are linked to the original, and the copies left out lay nearest
 * to the group. Counted as its surroundings, they outvoted the honest original, which was flagged (suspicion 1.00,
 * "labelled ham and 6 of the 6 nearest other records are spam").
 */
describe('near-duplicates on targeted copies of a subject line (seed 3)', () => {
  it('blames the copies linked to the original, not the original', async () => {
    const run = applyAttack('targeted', zooDataset('subjects'), {}, 3)
    const { dataset } = run
    const original = dataset.ids.indexOf((run.info.targetIds as string[])[0])
    const result = await runDetectorOn(
      nearDuplicatesDetector as Detector<unknown>,
      await prepareAsScan(dataset, backend),
    )
    expect(result.flagged[original]).toBe(0)
    const blamed = Array.from(run.poisonedRows).filter((row) => result.flagged[row] === 1)
    expect(blamed.length).toBeGreaterThan(0)
    for (const row of blamed) {
      expect(result.findingKinds?.[row]).toBe('contradiction')
      expect(result.suggestedLabels?.[row]).toBe(dataset.labels!.codes[original])
      expect(result.explanations[row]).toMatch(/nearest other records are ham$/)
    }
  })
})
