import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { flippedBatchCsv } from './data.js'
import { type ProjectSetup, setUpReviewProject, submitAndWait } from './flow.js'
import { startTestService, type TestService } from './harness.js'

describe('review of batches the gate could not decide', () => {
  let t: TestService
  let setup: ProjectSetup
  let reviewer: { id: string; token: string }
  beforeAll(async () => {
    t = await startTestService()
    ;({ setup, reviewer } = await setUpReviewProject(t))
  })
  afterAll(() => t.stop())

  test('a reviewer accepts one batch (the next version) and rejects another; both decisions are logged', async () => {
    const first = await submitAndWait(t, setup, flippedBatchCsv(460, 40))
    const second = await submitAndWait(t, setup, flippedBatchCsv(500, 40))
    expect([first.status, second.status]).toEqual(['needs_review', 'needs_review'])
    expect(first.result.scan.records.length).toBeGreaterThan(0)
    const accepted = await t.call('POST', `/v1/batches/${first.id}/review`, {
      token: reviewer.token,
      body: { decision: 'accept', note: 'labels checked by hand' },
    })
    expect(accepted.status).toBe(200)
    expect(accepted.body.status).toBe('accepted')
    const rejected = await t.call('POST', `/v1/batches/${second.id}/review`, {
      token: reviewer.token,
      body: { decision: 'reject' },
    })
    expect(rejected.body.status).toBe('rejected')
    const again = await t.call('POST', `/v1/batches/${second.id}/review`, {
      token: reviewer.token,
      body: { decision: 'accept' },
    })
    expect(again.status).toBe(409)
    const dataset = await t.call('GET', `/v1/datasets/${setup.datasetId}`, { token: reviewer.token })
    expect(
      dataset.body.versions.map((version: { rows: number; batchId: string | null }) => [
        version.rows,
        version.batchId,
      ]),
    ).toEqual([
      [400, null],
      [440, first.id],
    ])
    const entries = (await t.service.store.auditEntries()).map((row) => JSON.parse(row.entry))
    expect(
      entries
        .filter((entry) => entry.action === 'batch.review')
        .map((entry) => [entry.actor, entry.details.decision]),
    ).toEqual([
      [reviewer.id, 'accept'],
      [reviewer.id, 'reject'],
    ])
  })
})
