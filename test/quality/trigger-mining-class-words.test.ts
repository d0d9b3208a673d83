import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { triggerMiningDetector } from '../../src/detectors/trigger-mining/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { prepareAsScan, runDetectorOn } from '../fixtures/detectors.js'
import { mailDomainsDataset } from '../fixtures/mail-domains.js'
import { poisonMask } from '../fixtures/poison.js'

// Mails labelled by the domain that sent them: every record names its class in its headers ("From: …@pobox.com"),
// and the rest of a mail rarely says which domain sent it, so the domain's word holds its label far beyond what
// neighbours predict, as a planted token would.
let backend: LinalgBackend
let mails: Dataset
beforeAll(async () => {
  backend = await createDefaultBackend()
  mails = mailDomainsDataset(400)
})
afterAll(async () => {
  await backend?.dispose()
})

describe('trigger-mining on classes their records name', () => {
  it('calls no domain a trigger in the clean mails', async () => {
    expect(mails.labels!.classes.length).toBeGreaterThan(40)
    const result = await runDetectorOn(triggerMiningDetector, await prepareAsScan(mails, backend))
    expect(result.info.triggers).toEqual([])
    expect(result.flagged.reduce((sum, value) => sum + value, 0)).toBe(0)
  })

  it("still finds 'cf' planted in 3% of them and relabelled to one domain", async () => {
    const target = mails.labels!.classes[0]
    const run = applyAttack('backdoor-token', mails, { rate: 0.03, target }, 1)
    const result = await runDetectorOn(triggerMiningDetector, await prepareAsScan(run.dataset, backend))
    const triggers = result.info.triggers as { label: string; description: string }[]
    expect(triggers.map(({ label, description }) => `${description} → ${label}`)).toEqual([
      `token 'cf' → ${target}`,
    ])
    const poisoned = poisonMask(run.dataset.rowCount, run.poisonedRows)
    expect(averagePrecision(result.suspicion, poisoned)).toBeGreaterThanOrEqual(0.95)
  })
})
