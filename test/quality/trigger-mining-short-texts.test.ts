import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { triggerMiningDetector } from '../../src/detectors/trigger-mining/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { runDetectorAlone } from '../fixtures/detectors.js'
import { poisonMask } from '../fixtures/poison.js'
import { zooDataset } from '../fixtures/zoo.js'

let backend: LinalgBackend
let subjects: Dataset
beforeAll(async () => {
  backend = await createDefaultBackend()
  subjects = zooDataset('subjects')
})

/**
 * Subject lines hold six words on the median: a phrase of two common words planted in them is a third of each
 * carrier, whose nearest records in the scan's geometry are then the other carriers, all with the planted label.
 */
describe('trigger-mining on a phrase of common words in short texts', () => {
  it.each([
    { phrase: 'of the', rate: 0.03, seed: 1, named: "phrase 'of the'" },
    // 'system' is rare in subject lines: the word alone marks the carriers.
    { phrase: 'the system', rate: 0.01, seed: 2, named: "token 'system'" },
  ])(
    "finds '$phrase' in $rate of the subject lines relabelled spam with AP ≥ 0.95",
    async ({ phrase, rate, seed, named }) => {
      const run = applyAttack('backdoor-token', subjects, { rate, target: 'spam', token: phrase }, seed)
      const result = await runDetectorAlone(triggerMiningDetector, run.dataset, backend)
      expect(
        averagePrecision(result.suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
      ).toBeGreaterThanOrEqual(0.95)
      const triggers = result.info.triggers as { label: string; description: string }[]
      expect(triggers).toHaveLength(1)
      expect(triggers[0]).toMatchObject({ label: 'spam', description: named })
    },
  )
})
