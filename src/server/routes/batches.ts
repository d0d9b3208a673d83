import { z } from 'zod'
import { PoisonguardError } from '../../errors.js'
import type { Principal } from '../../store/access.js'
import {
  type BatchRow,
  getBatch,
  getDataset,
  getExport,
  getSource,
  listBatches,
  listSources,
} from '../../store/catalog.js'
import type { Role } from '../../store/schema.js'
import type { Store } from '../../store/store.js'
import { intakeFormats } from '../../workflows/intake.js'
import { reviewBatch } from '../../workflows/intake-decisions.js'
import { exportStatus, requestExport } from '../../workflows/intake-exports.js'
import { submitBatch } from '../../workflows/intake-service.js'
import { defineRoute, uuid } from '../route.js'
import { projectOfDataset, projectOfVersion, versionJson } from './catalog.js'

const batchParams = z.object({ batchId: uuid })
const projectOfBatch = async (params: { batchId: string }, store: Store) =>
  (await getDataset(store.db, (await getBatch(store.db, params.batchId)).dataset_id)).project_id

function batchJson(batch: BatchRow) {
  return {
    id: batch.id,
    datasetId: batch.dataset_id,
    sourceId: batch.source_id,
    status: batch.status,
    reason: batch.reason,
    rows: batch.row_count,
    bytes: batch.byte_count,
    versionId: batch.version_id,
    attempts: batch.attempts,
    createdAt: batch.created_at,
    decidedAt: batch.decided_at,
    result: batch.result ? JSON.parse(batch.result) : null,
  }
}

const projectOfExport = async (params: { exportId: string }, store: Store) =>
  projectOfVersion({ versionId: (await getExport(store.db, params.exportId)).version_id }, store)

/** A contributor acts only for the sources it owns; every other role for all of the project's sources. */
export async function requireOwnSource(
  store: Store,
  role: Role | undefined,
  principal: Principal,
  sourceId: string,
): Promise<void> {
  if (role !== 'contributor') return
  const source = await getSource(store.db, sourceId)
  if (source.owner_user_id !== principal.userId)
    throw new PoisonguardError('FORBIDDEN', `source ${source.name} belongs to another contributor`)
}

/** Batch submission, status, review, and version exports. */
export const batchRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/datasets/:datasetId/batches',
    summary: 'submit a batch from a source; it is checked asynchronously (poll the batch for the decision)',
    tag: 'batches',
    status: 202,
    params: z.object({ datasetId: uuid }),
    body: z
      .object({
        sourceId: uuid,
        format: z.enum(intakeFormats),
        data: z.string().min(1).describe('the batch file contents'),
        manifest: z.string().optional().describe('the DSSE manifest from `poisonguard manifest create`'),
        sidecar: z.string().optional().describe("the manifest's record digest file (.records.jsonl)"),
      })
      .strict(),
    access: { kind: 'project', permission: 'batch.submit', projectOf: projectOfDataset },
    handler: async ({ params, body, store, queue, principal, role }) => {
      await requireOwnSource(store, role, principal, body.sourceId)
      const batchId = await submitBatch(store, principal.userId, {
        datasetId: params.datasetId,
        sourceId: body.sourceId,
        format: body.format,
        data: Buffer.from(body.data),
        manifest: body.manifest === undefined ? undefined : Buffer.from(body.manifest),
        sidecar: body.sidecar === undefined ? undefined : Buffer.from(body.sidecar),
      })
      await queue.enqueue(batchId)
      return { id: batchId, status: 'pending' }
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/batches/:batchId',
    summary: "a batch's status, the gate's reasons and the findings",
    tag: 'batches',
    params: batchParams,
    access: { kind: 'project', permission: 'batch.read', projectOf: projectOfBatch },
    handler: async ({ params, store, principal, role }) => {
      const batch = await getBatch(store.db, params.batchId)
      await requireOwnSource(store, role, principal, batch.source_id)
      return batchJson(batch)
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/datasets/:datasetId/batches',
    summary: "a dataset's batches, newest first (a contributor sees its own sources' only)",
    tag: 'batches',
    params: z.object({ datasetId: uuid }),
    access: { kind: 'project', permission: 'batch.read', projectOf: projectOfDataset },
    handler: async ({ params, store, principal, role }) => {
      let own: string[] | undefined
      if (role === 'contributor') {
        const dataset = await getDataset(store.db, params.datasetId)
        own = (await listSources(store.db, dataset.project_id))
          .filter((source) => source.owner_user_id === principal.userId)
          .map((source) => source.id)
      }
      return { batches: (await listBatches(store.db, params.datasetId, own)).map(batchJson) }
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/batches/:batchId/review',
    summary: 'accept (as the next version) or reject a batch the gate sent to review',
    tag: 'batches',
    params: batchParams,
    body: z
      .object({ decision: z.enum(['accept', 'reject']), note: z.string().max(2000).optional() })
      .strict(),
    access: { kind: 'project', permission: 'batch.review', projectOf: projectOfBatch },
    handler: async ({ params, body, store, principal }) => {
      const versionId = await reviewBatch(store, principal.userId, params.batchId, body.decision, body.note)
      return { ...batchJson(await getBatch(store.db, params.batchId)), versionId }
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/versions/:versionId/exports',
    summary:
      'ask for a training snapshot of a version; it is prepared and logged asynchronously (poll the export)',
    tag: 'datasets',
    status: 202,
    params: z.object({ versionId: uuid }),
    access: { kind: 'project', permission: 'version.export', projectOf: projectOfVersion },
    handler: async ({ params, store, queue, principal }) => {
      const exportId = await requestExport(store, principal.userId, params.versionId)
      await queue.enqueueExport(exportId)
      return { id: exportId, versionId: params.versionId, status: 'pending' }
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/exports/:exportId',
    summary:
      "an export's status and, once done, the snapshot: the version's data with its signed manifest and record digests",
    tag: 'datasets',
    params: z.object({ exportId: uuid }),
    access: { kind: 'project', permission: 'version.export', projectOf: projectOfExport },
    handler: async ({ params, store }) => {
      const { job, snapshot } = await exportStatus(store, params.exportId)
      return {
        id: job.id,
        versionId: job.version_id,
        status: job.status,
        error: job.error ? JSON.parse(job.error) : null,
        createdAt: job.created_at,
        finishedAt: job.finished_at,
        ...(snapshot
          ? {
              version: versionJson(snapshot.version),
              data: snapshot.data.toString('utf8'),
              manifest: snapshot.manifest.toString('utf8'),
              sidecar: snapshot.sidecar.toString('utf8'),
            }
          : {}),
      }
    },
  }),
]
