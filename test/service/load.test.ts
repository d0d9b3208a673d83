import { describe, expect, test } from 'vitest'
import { openStore } from '../../src/store/open.js'
import { cleanBatchCsv } from './data.js'
import { setUpProject } from './flow.js'
import { type Backend, POSTGRES_URL, removeTestData, skipReason, startTestService } from './harness.js'

/*
 * 50 batches submitted at once on loopback: each is accepted for intake or refused with a reason, and the counts
 * reconcile exactly with the store and the audit log. The hourly limit of 40 makes the refusals certain.
 */
const backends: Backend[] = ['sqlite', 'postgres']

for (const backend of backends) {
  const suite = `concurrent submissions (${backend})`
  describe.skipIf(skipReason(backend, suite))(suite, () => {
    test('50 at once: 40 taken, 10 refused by the rate limit, and the store and audit log agree', async () => {
      const t = await startTestService({ backend })
      const setup = await setUpProject(t, { requireSigned: false, maxBatchesPerHour: 40 })
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          t.call('POST', `/v1/datasets/${setup.datasetId}/batches`, {
            token: setup.contributorToken,
            body: { sourceId: setup.sourceId, format: 'csv', data: cleanBatchCsv(600 + 10 * index, 10) },
          }),
        ),
      )
      const taken = responses
        .filter((response) => response.status === 202)
        .map((response) => response.body.id as string)
      const refused = responses.filter((response) => response.status !== 202)
      expect(taken).toHaveLength(40)
      expect(refused.map((response) => [response.status, response.body.error.code])).toEqual(
        Array.from({ length: 10 }, () => [429, 'QUOTA_EXCEEDED']),
      )
      // Stop without waiting for 40 scans: the count of what was taken is what matters here.
      await t.stop({ keepData: true })
      const { pgSchema } = t.restartOptions
      const store = await openStore({
        dataDir: t.dataDir,
        ...(pgSchema ? { db: POSTGRES_URL, pgSchema } : {}),
      })
      try {
        const stored = await store.db.selectFrom('batches').select('id').execute()
        expect(stored.map((row) => row.id).sort()).toEqual([...taken].sort())
        const submitted = (await store.auditEntries())
          .map((row) => JSON.parse(row.entry))
          .filter((entry) => entry.action === 'batch.submit')
          .map((entry) => entry.subject.slice('batch:'.length))
        expect(submitted.sort()).toEqual([...taken].sort())
      } finally {
        await store.close()
        await removeTestData(t.restartOptions)
      }
    })
  })
}
