import { describe, expect, test } from 'vitest'
import { openStore } from '../../src/store/open.js'
import { submitBatch } from '../../src/workflows/intake-service.js'
import { cleanBatchCsv, flippedBatchCsv } from './data.js'
import { setUpProject, signBatch, submitAndWait } from './flow.js'
import { type Backend, POSTGRES_URL, skipReason, startTestService } from './harness.js'

/*
 * The store is the durable record of the queue: a batch stays pending until its decision commits. A batch stored
 * while no worker ran (the server died after accepting the upload) is picked up by the next start; the suite runs
 * on the embedded store with the in-process queue and on PostgreSQL with BullMQ on Redis.
 */
const backends: Backend[] = ['sqlite', 'postgres+redis']

for (const backend of backends) {
  const suite = `intake across a restart (${backend})`
  describe.skipIf(skipReason(backend, suite))(suite, () => {
    test('accepted data survives, and a batch left pending is decided after the restart', async () => {
      const first = await startTestService({ backend })
      // No review step: a batch is accepted unless a fifth of it is severe, so the outcome is accept or quarantine.
      const policy = {
        requireSigned: true,
        quarantineSourceAfter: 10,
        reviewOnSeverity: 'never',
        maxSevereShare: 0.2,
      }
      const setup = await setUpProject(first, policy)
      const clean = cleanBatchCsv(600, 40)
      const accepted = await submitAndWait(first, setup, clean, await signBatch(clean, setup.privateKey))
      expect(accepted.status).toBe('accepted')
      const flipped = flippedBatchCsv()
      expect(
        (await submitAndWait(first, setup, flipped, await signBatch(flipped, setup.privateKey))).status,
      ).toBe('quarantined')
      await first.stop({ keepData: true })

      // The upload was stored and logged, then the server died before any worker ran it.
      const options = first.restartOptions
      const store = await openStore({
        dataDir: first.dataDir,
        ...(options.pgSchema ? { db: POSTGRES_URL, pgSchema: options.pgSchema } : {}),
      })
      const pendingCsv = cleanBatchCsv(640, 40)
      const signed = await signBatch(pendingCsv, setup.privateKey)
      const pendingId = await submitBatch(store, setup.contributorId, {
        datasetId: setup.datasetId,
        sourceId: setup.sourceId,
        format: 'csv',
        data: Buffer.from(pendingCsv),
        manifest: Buffer.from(signed.manifest),
        sidecar: Buffer.from(signed.sidecar),
      })
      await store.close()

      const second = await startTestService(options)
      try {
        const resumed = await second.waitForBatch(pendingId, setup.contributorToken)
        expect(resumed.status).toBe('accepted')
        const dataset = await second.call('GET', `/v1/datasets/${setup.datasetId}`, {
          token: first.adminToken,
        })
        expect(dataset.body.versions.map((version: { rows: number }) => version.rows)).toEqual([
          400, 440, 480,
        ])
        const batches = await second.call('GET', `/v1/datasets/${setup.datasetId}/batches`, {
          token: first.adminToken,
        })
        expect(batches.body.batches.map((batch: { status: string }) => batch.status)).toEqual([
          'accepted',
          'quarantined',
          'accepted',
        ])
        const entries = (await second.service.store.auditEntries()).map((row) => JSON.parse(row.entry))
        expect(entries.filter((entry) => entry.action === 'batch.gate')).toHaveLength(3)
        expect(entries.filter((entry) => entry.action === 'batch.submit')).toHaveLength(3)
      } finally {
        await second.stop()
      }
    })
  })
}
