import { createPublicKey } from 'node:crypto'
import { z } from 'zod'
import { PoisonguardError } from '../../errors.js'
import { keyIdOf } from '../../provenance/keys.js'
import {
  createProject,
  createSource,
  getDataset,
  getProject,
  getSource,
  getVersion,
  listDatasets,
  listProjectsOf,
  listSources,
  listVersions,
  type SourceRow,
  setProjectPolicy,
  type VersionRow,
} from '../../store/catalog.js'
import type { Store } from '../../store/store.js'
import { intakeFormats } from '../../workflows/intake.js'
import { setSourceStatus } from '../../workflows/intake-decisions.js'
import { intakePolicySchema } from '../../workflows/intake-policy.js'
import { createDatasetWithReference } from '../../workflows/intake-service.js'
import { defineRoute, uuid } from '../route.js'

const projectParams = z.object({ projectId: uuid })
const datasetParams = z.object({ datasetId: uuid })
const sourceParams = z.object({ sourceId: uuid })
const versionParams = z.object({ versionId: uuid })

const ofProject = async (params: { projectId: string }) => params.projectId
/** The project a dataset, source or version belongs to. */
export const projectOfDataset = async (params: { datasetId: string }, store: Store) =>
  (await getDataset(store.db, params.datasetId)).project_id
const projectOfSource = async (params: { sourceId: string }, store: Store) =>
  (await getSource(store.db, params.sourceId)).project_id
const projectOfVersion = async (params: { versionId: string }, store: Store) => {
  const version = await getVersion(store.db, params.versionId)
  return (await getDataset(store.db, version.dataset_id)).project_id
}

function sourceJson(source: SourceRow) {
  return {
    id: source.id,
    name: source.name,
    ownerUserId: source.owner_user_id,
    keyId: source.key_id,
    status: source.status,
    failureStreak: source.failure_streak,
    createdAt: source.created_at,
  }
}

/** A version as the API shows it. */
export function versionJson(version: VersionRow) {
  return {
    id: version.id,
    datasetId: version.dataset_id,
    number: version.number,
    sha256: version.sha256,
    parentId: version.parent_id,
    rows: version.row_count,
    batchId: version.batch_id,
    createdAt: version.created_at,
  }
}

function publicKeyId(pem: string): string {
  try {
    const key = createPublicKey(pem)
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an ${key.asymmetricKeyType} key`)
    return keyIdOf(key)
  } catch (error) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `publicKeyPem is not an Ed25519 public key PEM (${(error as Error).message.split('\n')[0]})`,
      {
        hint: 'send the .pub.pem file written by `poisonguard keygen`',
      },
    )
  }
}

/** Projects, datasets, versions and sources. */
export const catalogRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/projects',
    summary: 'create a project; its creator becomes its owner',
    tag: 'projects',
    status: 201,
    body: z
      .object({
        name: z.string().min(1).max(100),
        policy: intakePolicySchema.default(intakePolicySchema.parse({})),
      })
      .strict(),
    access: { kind: 'server-admin' },
    handler: async ({ body, store, principal }) =>
      store.transaction(async (trx) => {
        const id = await createProject(trx, body.name, body.policy, principal.userId)
        await store.appendAudit(trx, {
          actor: principal.userId,
          action: 'project.create',
          subject: `project:${id}`,
          details: { name: body.name },
        })
        return { id, name: body.name, policy: body.policy }
      }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects',
    summary: 'the projects you are a member of (all, for administrators)',
    tag: 'projects',
    access: { kind: 'user' },
    handler: async ({ store, principal }) => ({
      projects: await listProjectsOf(store.db, principal.userId, principal.isAdmin),
    }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:projectId',
    summary: 'a project with its policy',
    tag: 'projects',
    params: projectParams,
    access: { kind: 'project', permission: 'project.read', projectOf: ofProject },
    handler: async ({ params, store }) => {
      const project = await getProject(store.db, params.projectId)
      return { ...project, policy: intakePolicySchema.parse(project.policy) }
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/projects/:projectId/policy',
    summary: "replace the project's intake policy",
    tag: 'projects',
    params: projectParams,
    body: intakePolicySchema,
    access: { kind: 'project', permission: 'project.manage', projectOf: ofProject },
    handler: async ({ params, body, store, principal }) =>
      store.transaction(async (trx) => {
        await getProject(trx, params.projectId)
        await setProjectPolicy(trx, params.projectId, body)
        await store.appendAudit(trx, {
          actor: principal.userId,
          action: 'project.policy',
          subject: `project:${params.projectId}`,
          details: { policy: body },
        })
        return { policy: body }
      }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/projects/:projectId/datasets',
    summary: 'create a dataset from trusted data, which becomes its signed version 1',
    tag: 'datasets',
    status: 201,
    params: projectParams,
    body: z
      .object({
        name: z.string().min(1).max(100),
        format: z.enum(intakeFormats),
        data: z.string().min(1).describe('the file contents'),
      })
      .strict(),
    access: { kind: 'project', permission: 'dataset.manage', projectOf: ofProject },
    handler: async ({ params, body, store, principal }) =>
      createDatasetWithReference(store, principal.userId, {
        projectId: params.projectId,
        name: body.name,
        format: body.format,
        data: Buffer.from(body.data),
      }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:projectId/datasets',
    summary: "the project's datasets",
    tag: 'datasets',
    params: projectParams,
    access: { kind: 'project', permission: 'project.read', projectOf: ofProject },
    handler: async ({ params, store }) => ({
      datasets: (await listDatasets(store.db, params.projectId)).map((dataset) => ({
        id: dataset.id,
        name: dataset.name,
        format: dataset.format,
        currentVersionId: dataset.current_version_id,
      })),
    }),
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/datasets/:datasetId',
    summary: 'a dataset and its versions, oldest first',
    tag: 'datasets',
    params: datasetParams,
    access: { kind: 'project', permission: 'version.read', projectOf: projectOfDataset },
    handler: async ({ params, store }) => {
      const dataset = await getDataset(store.db, params.datasetId)
      return {
        id: dataset.id,
        projectId: dataset.project_id,
        name: dataset.name,
        format: dataset.format,
        currentVersionId: dataset.current_version_id,
        versions: (await listVersions(store.db, dataset.id)).map(versionJson),
      }
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/versions/:versionId',
    summary: 'one version: its content address, size and lineage',
    tag: 'datasets',
    params: versionParams,
    access: { kind: 'project', permission: 'version.read', projectOf: projectOfVersion },
    handler: async ({ params, store }) => versionJson(await getVersion(store.db, params.versionId)),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/projects/:projectId/sources',
    summary: 'register a source, the contributor who sends for it and its Ed25519 public key',
    tag: 'sources',
    status: 201,
    params: projectParams,
    body: z
      .object({
        name: z.string().min(1).max(100),
        ownerUserId: uuid,
        publicKeyPem: z.string().max(10_000).optional(),
      })
      .strict(),
    access: { kind: 'project', permission: 'source.manage', projectOf: ofProject },
    handler: async ({ params, body, store, principal }) => {
      const keyId = body.publicKeyPem ? publicKeyId(body.publicKeyPem) : null
      return store.transaction(async (trx) => {
        const id = await createSource(trx, {
          projectId: params.projectId,
          name: body.name,
          ownerUserId: body.ownerUserId,
          publicKeyPem: body.publicKeyPem ?? null,
          keyId,
        })
        await store.appendAudit(trx, {
          actor: principal.userId,
          action: 'source.create',
          subject: `source:${id}`,
          details: { name: body.name, keyId },
        })
        return sourceJson(await getSource(trx, id))
      })
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:projectId/sources',
    summary: "the project's sources and their status",
    tag: 'sources',
    params: projectParams,
    access: { kind: 'project', permission: 'project.read', projectOf: ofProject },
    handler: async ({ params, store }) => ({
      sources: (await listSources(store.db, params.projectId)).map(sourceJson),
    }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/sources/:sourceId/quarantine',
    summary: 'quarantine a source: it may submit nothing until released',
    tag: 'sources',
    params: sourceParams,
    access: { kind: 'project', permission: 'source.manage', projectOf: projectOfSource },
    handler: async ({ params, store, principal }) => {
      await setSourceStatus(store, principal.userId, params.sourceId, 'quarantined')
      return sourceJson(await getSource(store.db, params.sourceId))
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/sources/:sourceId/release',
    summary: 'release a quarantined source',
    tag: 'sources',
    params: sourceParams,
    access: { kind: 'project', permission: 'source.manage', projectOf: projectOfSource },
    handler: async ({ params, store, principal }) => {
      await setSourceStatus(store, principal.userId, params.sourceId, 'active')
      return sourceJson(await getSource(store.db, params.sourceId))
    },
  }),
]

export { projectOfVersion }
