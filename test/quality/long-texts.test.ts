import { beforeAll, describe, expect, it } from 'vitest'
import type { Dataset } from '../../src/data/dataset.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { prepareOnce, prepareRelabelled, scanPrepared } from '../fixtures/detectors.js'
import { flipLabels, rankingOf } from '../fixtures/poison.js'
import { addressesByParty } from '../fixtures/speeches.js'

let backend: LinalgBackend
let addresses: Dataset

beforeAll(async () => {
  backend = await createDefaultBackend()
  addresses = addressesByParty()
})

// Few records and long texts: 182 State of the Union addresses of about 6,700 words each, labelled by party. A
// linear model on the whole texts reads 91% of the parties (docs/zoo.md), so some honest addresses (Cleveland's
// among Republicans, Carter's last) look like the other party's.
describe('the 182 State of the Union addresses labelled by party', () => {
  it('are called clean, flagging no more than a few of the addresses that read like the other party', async () => {
    const { report } = await scanPrepared(await prepareOnce(addresses, backend))
    expect(report.summary.verdict?.verdict).toBe('clean')
    // The 1% bar is one address; the scan flags two to four, as a linear model's confident learning flags four.
    expect(report.summary.flagged).toBeLessThanOrEqual(4)
  })

  it('rank 10% random flips with average precision ≥ 0.5, reading the whole addresses', async () => {
    // Read to their first 5,000 characters and fitted in three passes over a fold, the flips ranked at 0.21.
    const planted = flipLabels(addresses, 0.1, 1)
    const { report } = await scanPrepared(await prepareRelabelled(planted.dataset, addresses, backend))
    expect(rankingOf(report, planted.flipped)).toBeGreaterThanOrEqual(0.5)
    expect(report.summary.verdict?.verdict).toBe('suspicious')
  })
})
