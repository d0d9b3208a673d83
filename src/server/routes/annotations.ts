import { z } from 'zod'
import { PoisonguardError } from '../../errors.js'
import { getDataset } from '../../store/catalog.js'
import { datasetCrowd, submitAnnotations } from '../../workflows/intake-crowd.js'
import { defineRoute, uuid } from '../route.js'
import { requireOwnSource } from './batches.js'
import { projectOfDataset } from './catalog.js'

const text = z.string().min(1).max(200)

/** Contributors' crowd answers, which every later intake scan of the dataset weighs. */
export const annotationRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/datasets/:datasetId/annotations',
    summary:
      "submit crowd answers (item = a record's id, annotator, label) through one of your sources; batches scanned " +
      'afterwards are judged with them, annotators found to be spammers or colluding set aside',
    tag: 'batches',
    status: 201,
    params: z.object({ datasetId: uuid }),
    body: z
      .object({
        sourceId: uuid,
        batchId: uuid.optional().describe('the batch the answers are about, if one'),
        answers: z
          .array(
            z
              .object({
                item: text,
                annotator: text,
                label: text,
                time: z.number().finite().optional().describe('seconds since the epoch'),
              })
              .strict(),
          )
          .min(1)
          .max(1_000_000),
      })
      .strict(),
    access: { kind: 'project', permission: 'batch.submit', projectOf: projectOfDataset },
    handler: async ({ params, body, store, principal, role }) => {
      await requireOwnSource(store, role, principal, body.sourceId)
      return submitAnnotations(store, principal.userId, { datasetId: params.datasetId, ...body })
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/datasets/:datasetId/crowd',
    summary:
      "the dataset's crowd as the intake scan aggregates it: each annotator's reliability, who was set aside and why, " +
      'and the colluding groups',
    tag: 'batches',
    params: z.object({ datasetId: uuid }),
    access: { kind: 'project', permission: 'version.read', projectOf: projectOfDataset },
    handler: async ({ params, store }) => {
      await getDataset(store.db, params.datasetId)
      const crowd = await datasetCrowd(store, params.datasetId)
      if (!crowd)
        throw new PoisonguardError(
          'NOT_FOUND',
          `no crowd answers were sent about dataset ${params.datasetId}`,
          {
            hint: 'contributors send them to POST /v1/datasets/{datasetId}/annotations',
          },
        )
      return crowd
    },
  }),
]
