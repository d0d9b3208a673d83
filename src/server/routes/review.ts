import { z } from 'zod'
import { roleAllows } from '../../store/access.js'
import { getBatch } from '../../store/catalog.js'
import type { Store } from '../../store/store.js'
import { projectAuditLog } from '../../workflows/project-audit.js'
import { applyDecisions, recordDecision, undoDecision } from '../../workflows/review-decisions.js'
import { buildReviewQueue } from '../../workflows/review-queue.js'
import { defineRoute, uuid } from '../route.js'
import { projectOfDataset } from './catalog.js'

const batchParams = z.object({ batchId: uuid })
const batchProject = async (params: { batchId: string }, store: Store) =>
  projectOfDataset({ datasetId: (await getBatch(store.db, params.batchId)).dataset_id }, store)

const label = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\r\n]*$/, 'a label is one line')

/** The review queue of a batch, record-level decisions with undo, applying them, and a project's audit log. */
export const reviewRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/batches/:batchId/review-queue',
    summary:
      "a batch's verdict, its flagged records with their evidence (pictures or texts, nearest trusted neighbours, suggested label, source), the drift tests and every decision so far",
    tag: 'review',
    params: batchParams,
    access: { kind: 'project', permission: 'version.read', projectOf: batchProject },
    handler: async ({ params, store, role }) => ({
      ...(await buildReviewQueue(store, params.batchId)),
      canDecide: role !== undefined && roleAllows(role, 'batch.review'),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/batches/:batchId/decisions',
    summary:
      'decide about flagged records of a batch that needs review: drop, relabel or keep one record or a whole finding',
    tag: 'review',
    status: 201,
    params: batchParams,
    body: z
      .object({
        action: z.enum(['drop', 'relabel', 'keep']),
        recordIds: z.array(z.string().min(1).max(1_000)).min(1).max(100_000),
        label: label.optional().describe('the new label of a relabel decision'),
        finding: z.string().max(500).optional().describe('the finding a bulk decision acts on'),
      })
      .strict(),
    access: { kind: 'project', permission: 'batch.review', projectOf: batchProject },
    handler: async ({ params, body, store, principal }) =>
      recordDecision(store, principal.userId, params.batchId, body),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/batches/:batchId/decisions/:decisionId/undo',
    summary: 'undo a decision; its records fall back to any earlier decision about them',
    tag: 'review',
    params: z.object({ batchId: uuid, decisionId: uuid }),
    access: { kind: 'project', permission: 'batch.review', projectOf: batchProject },
    handler: async ({ params, store, principal }) =>
      undoDecision(store, principal.userId, params.batchId, params.decisionId),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/batches/:batchId/decisions/apply',
    summary:
      'accept the reviewed batch as the next version with the decisions applied (undecided flagged records are dropped)',
    tag: 'review',
    params: batchParams,
    body: z.object({ note: z.string().max(2000).optional() }).strict(),
    access: { kind: 'project', permission: 'batch.review', projectOf: batchProject },
    handler: async ({ params, body, store, principal }) =>
      applyDecisions(store, principal.userId, params.batchId, body.note),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:projectId/audit',
    summary:
      'the audit entries about a project, newest first, and whether the whole log verifies against a tree head signed now',
    tag: 'audit',
    params: z.object({ projectId: uuid }),
    access: { kind: 'project', permission: 'audit.read', projectOf: async (params) => params.projectId },
    handler: async ({ params, store }) => projectAuditLog(store, params.projectId),
  }),
]
