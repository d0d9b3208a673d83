import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { openStore } from '../../src/store/open.js'
import { requestExport } from '../../src/workflows/intake-exports.js'
import { referenceCsv } from './data.js'
import { createUserVia, type ProjectSetup, setUpProject } from './flow.js'
import {
  type Backend,
  type Json,
  POSTGRES_URL,
  skipReason,
  startTestService,
  type TestService,
} from './harness.js'

/*
 * Exports are queued jobs like batches: asking answers 202 with the export's id, the queue checks the version's
 * blobs and logs the export, and the snapshot is fetched from the export once it is done. The store holds pending
 * exports, so a server stopped before running one runs it at its next start. The embedded store runs the
 * in-process queue; PostgreSQL runs it in process and on BullMQ.
 */
const backends: Backend[] = ['sqlite', 'postgres', 'postgres+redis']

async function currentVersion(t: TestService, setup: ProjectSetup): Promise<Json> {
  const dataset = await t.call('GET', `/v1/datasets/${setup.datasetId}`, { token: t.adminToken })
  return dataset.body.versions.find((version: Json) => version.id === dataset.body.currentVersionId)
}

/** The snapshot is the version's data, with a signed manifest, and its export is logged in the requester's name. */
async function expectSnapshot(
  t: TestService,
  setup: ProjectSetup,
  exported: Json,
  versionId: string,
  token = t.adminToken,
) {
  expect(exported.status).toBe('done')
  expect(exported.version.id).toBe(versionId)
  expect(exported.data).toBe(referenceCsv())
  expect(createHash('sha256').update(exported.data).digest('hex')).toBe(exported.version.sha256)
  expect(JSON.parse(exported.manifest).signatures.length).toBeGreaterThan(0)
  const row = await t.service.store.db
    .selectFrom('versions')
    .selectAll()
    .where('id', '=', versionId)
    .executeTakeFirstOrThrow()
  expect(exported.manifest).toBe((await t.service.store.getBlob(row.manifest_blob)).toString('utf8'))
  expect(exported.sidecar).toBe((await t.service.store.getBlob(row.sidecar_blob)).toString('utf8'))
  const audit = await t.call('GET', `/v1/projects/${setup.projectId}/audit`, { token })
  const logged = audit.body.entries.filter(
    (entry: Json) => entry.action === 'version.export' && entry.details.export === exported.id,
  )
  expect(logged).toHaveLength(1)
  expect(logged[0].subject).toBe(`version:${versionId}`)
}

for (const backend of backends) {
  const suite = `exports as queued jobs (${backend})`
  describe.skipIf(skipReason(backend, suite))(suite, () => {
    test('an owner asks for an export, is answered 202, and fetches the snapshot once the queue ran it; a viewer or contributor may not', async () => {
      const t = await startTestService({ backend })
      try {
        const setup = await setUpProject(t, { requireSigned: false })
        const version = await currentVersion(t, setup)
        const started = await t.call('POST', `/v1/versions/${version.id}/exports`, { token: t.adminToken })
        expect(started.status).toBe(202)
        expect(started.body).toMatchObject({ versionId: version.id, status: 'pending' })
        const finished = await t.waitForExport(started.body.id, t.adminToken)
        expect(finished.status).toBe(200)
        await expectSnapshot(t, setup, finished.body, version.id)

        const viewer = await createUserVia(t, 'export-viewer')
        await t.call('PUT', `/v1/projects/${setup.projectId}/members/${viewer.id}`, {
          token: t.adminToken,
          body: { role: 'viewer' },
        })
        for (const token of [viewer.token, setup.contributorToken]) {
          const refused = await t.call('POST', `/v1/versions/${version.id}/exports`, { token })
          expect(refused.status).toBe(403)
          expect((await t.call('GET', `/v1/exports/${started.body.id}`, { token })).status).toBe(403)
        }
        const jobs = await t.service.store.db.selectFrom('exports').select('id').execute()
        expect(jobs.map((job) => job.id)).toEqual([started.body.id])
      } finally {
        await t.stop()
      }
    })

    test('an export still pending when the server stopped is run and logged at the next start', async () => {
      const first = await startTestService({ backend })
      const setup = await setUpProject(first, { requireSigned: false })
      const version = await currentVersion(first, setup)
      await first.stop({ keepData: true })

      // The request was stored, then the server died before the queue ran it.
      const options = first.restartOptions
      const store = await openStore({
        dataDir: first.dataDir,
        ...(options.pgSchema ? { db: POSTGRES_URL, pgSchema: options.pgSchema } : {}),
      })
      const owner = await store.db
        .selectFrom('users')
        .select('id')
        .where('name', '=', 'admin')
        .executeTakeFirstOrThrow()
      const exportId = await requestExport(store, owner.id, version.id)
      await store.close()

      const second = await startTestService(options)
      try {
        const finished = await second.waitForExport(exportId, first.adminToken)
        expect(finished.status).toBe(200)
        await expectSnapshot(second, setup, finished.body, version.id, first.adminToken)
      } finally {
        await second.stop()
      }
    })
  })
}
