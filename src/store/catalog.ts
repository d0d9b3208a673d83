import { randomUUID } from 'node:crypto'
import { PoisonguardError } from '../errors.js'
import type {
  BatchesTable,
  BatchStatus,
  DatasetsTable,
  ExportStatus,
  ExportsTable,
  SourcesTable,
  VersionsTable,
} from './schema.js'
import type { Db } from './store.js'

/*
 * Projects, datasets, versions, sources and batches: plain reads and writes that take the caller's transaction,
 * so a workflow composes several of them (and its audit entry) into one atomic change.
 */

function now(): string {
  return new Date().toISOString()
}

function notFound(what: string, id: string): PoisonguardError {
  return new PoisonguardError('NOT_FOUND', `no ${what} with id ${id}`)
}

export interface ProjectRow {
  id: string
  name: string
  policy: unknown
  createdAt: string
}

export async function createProject(db: Db, name: string, policy: unknown, ownerId: string): Promise<string> {
  const taken = await db.selectFrom('projects').select('id').where('name', '=', name).executeTakeFirst()
  if (taken) throw new PoisonguardError('CONFLICT', `a project named ${JSON.stringify(name)} already exists`)
  const id = randomUUID()
  await db
    .insertInto('projects')
    .values({ id, name, policy: JSON.stringify(policy), created_at: now() })
    .execute()
  await db.insertInto('members').values({ project_id: id, user_id: ownerId, role: 'owner' }).execute()
  return id
}

export async function getProject(db: Db, id: string): Promise<ProjectRow> {
  const row = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('project', id)
  return { id: row.id, name: row.name, policy: JSON.parse(row.policy), createdAt: row.created_at }
}

export async function setProjectPolicy(db: Db, id: string, policy: unknown): Promise<void> {
  await db
    .updateTable('projects')
    .set({ policy: JSON.stringify(policy) })
    .where('id', '=', id)
    .execute()
}

export async function listProjectsOf(
  db: Db,
  userId: string,
  all: boolean,
): Promise<{ id: string; name: string }[]> {
  if (all) return db.selectFrom('projects').select(['id', 'name']).orderBy('name').execute()
  return db
    .selectFrom('projects')
    .innerJoin('members', 'members.project_id', 'projects.id')
    .select(['projects.id', 'projects.name'])
    .where('members.user_id', '=', userId)
    .orderBy('projects.name')
    .execute()
}

export type DatasetRow = DatasetsTable

export async function createDataset(
  db: Db,
  projectId: string,
  name: string,
  format: string,
): Promise<string> {
  const taken = await db
    .selectFrom('datasets')
    .select('id')
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst()
  if (taken)
    throw new PoisonguardError('CONFLICT', `the project already has a dataset named ${JSON.stringify(name)}`)
  const id = randomUUID()
  await db
    .insertInto('datasets')
    .values({ id, project_id: projectId, name, format, current_version_id: null, created_at: now() })
    .execute()
  return id
}

export async function getDataset(db: Db, id: string): Promise<DatasetRow> {
  const row = await db.selectFrom('datasets').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('dataset', id)
  return row
}

export function listDatasets(db: Db, projectId: string): Promise<DatasetRow[]> {
  return db.selectFrom('datasets').selectAll().where('project_id', '=', projectId).orderBy('name').execute()
}

export type VersionRow = VersionsTable

/** Adds the next version and makes it the dataset's current one; a concurrent writer of the same number fails. */
export async function insertVersion(db: Db, version: Omit<VersionRow, 'id' | 'created_at'>): Promise<string> {
  const id = randomUUID()
  await db
    .insertInto('versions')
    .values({ ...version, id, created_at: now() })
    .execute()
  await db
    .updateTable('datasets')
    .set({ current_version_id: id })
    .where('id', '=', version.dataset_id)
    .execute()
  return id
}

export async function getVersion(db: Db, id: string): Promise<VersionRow> {
  const row = await db.selectFrom('versions').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('version', id)
  return row
}

export function listVersions(db: Db, datasetId: string): Promise<VersionRow[]> {
  return db.selectFrom('versions').selectAll().where('dataset_id', '=', datasetId).orderBy('number').execute()
}

export type SourceRow = SourcesTable

export async function createSource(
  db: Db,
  source: {
    projectId: string
    name: string
    ownerUserId: string
    publicKeyPem: string | null
    keyId: string | null
  },
): Promise<string> {
  const taken = await db
    .selectFrom('sources')
    .select('id')
    .where('project_id', '=', source.projectId)
    .where('name', '=', source.name)
    .executeTakeFirst()
  if (taken)
    throw new PoisonguardError(
      'CONFLICT',
      `the project already has a source named ${JSON.stringify(source.name)}`,
    )
  const id = randomUUID()
  await db
    .insertInto('sources')
    .values({
      id,
      project_id: source.projectId,
      name: source.name,
      owner_user_id: source.ownerUserId,
      public_key_pem: source.publicKeyPem,
      key_id: source.keyId,
      status: 'active',
      failure_streak: 0,
      created_at: now(),
    })
    .execute()
  return id
}

export async function getSource(db: Db, id: string): Promise<SourceRow> {
  const row = await db.selectFrom('sources').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('source', id)
  return row
}

export function listSources(db: Db, projectId: string): Promise<SourceRow[]> {
  return db.selectFrom('sources').selectAll().where('project_id', '=', projectId).orderBy('name').execute()
}

export async function updateSource(
  db: Db,
  id: string,
  changes: Partial<Pick<SourceRow, 'status' | 'failure_streak'>>,
): Promise<void> {
  await db.updateTable('sources').set(changes).where('id', '=', id).execute()
}

export type BatchRow = BatchesTable

export async function insertBatch(
  db: Db,
  batch: Omit<
    BatchRow,
    'id' | 'status' | 'result' | 'reason' | 'version_id' | 'attempts' | 'created_at' | 'decided_at'
  >,
): Promise<string> {
  const id = randomUUID()
  await db
    .insertInto('batches')
    .values({
      ...batch,
      id,
      status: 'pending',
      result: null,
      reason: null,
      version_id: null,
      attempts: 0,
      created_at: now(),
      decided_at: null,
    })
    .execute()
  return id
}

export async function getBatch(db: Db, id: string): Promise<BatchRow> {
  const row = await db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('batch', id)
  return row
}

/** Batches of a dataset, newest first; only those of `sourceIds` when given (a contributor's own). */
export function listBatches(db: Db, datasetId: string, sourceIds?: readonly string[]): Promise<BatchRow[]> {
  let query = db.selectFrom('batches').selectAll().where('dataset_id', '=', datasetId)
  if (sourceIds)
    query = sourceIds.length === 0 ? query.where('id', '=', '') : query.where('source_id', 'in', sourceIds)
  return query.orderBy('created_at', 'desc').execute()
}

/** Batches and rows a source submitted since `since` (ISO time), for quotas and rate limits. */
export async function sourceUsageSince(
  db: Db,
  sourceId: string,
  since: string,
): Promise<{ batches: number; rows: number }> {
  const row = await db
    .selectFrom('batches')
    .select((eb) => [
      eb.fn.countAll<string | number>().as('batches'),
      eb.fn.sum<string | number | null>('row_count').as('rows'),
    ])
    .where('source_id', '=', sourceId)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow()
  return { batches: Number(row.batches), rows: Number(row.rows ?? 0) }
}

/** Ids of batches still waiting for the intake pipeline, oldest first: the durable part of the job queue. */
export async function pendingBatchIds(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('batches')
    .select('id')
    .where('status', '=', 'pending')
    .orderBy('created_at')
    .execute()
  return rows.map((row) => row.id)
}

export async function countAttempt(db: Db, id: string): Promise<void> {
  await db
    .updateTable('batches')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .execute()
}

/** Records a decision on a batch still in `from`; false when another worker or reviewer decided first. */
export async function decideBatch(
  db: Db,
  id: string,
  from: BatchStatus,
  decision: { status: BatchStatus; reason: string | null; result?: string; versionId?: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('batches')
    .set({
      status: decision.status,
      reason: decision.reason,
      ...(decision.result !== undefined ? { result: decision.result } : {}),
      ...(decision.versionId !== undefined ? { version_id: decision.versionId } : {}),
      decided_at: now(),
    })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export type ExportRow = ExportsTable

/** Stores an export job, pending until the queue has run it. */
export async function insertExport(db: Db, versionId: string, requestedBy: string): Promise<string> {
  const id = randomUUID()
  await db
    .insertInto('exports')
    .values({
      id,
      version_id: versionId,
      requested_by: requestedBy,
      status: 'pending',
      error: null,
      created_at: now(),
      finished_at: null,
    })
    .execute()
  return id
}

export async function getExport(db: Db, id: string): Promise<ExportRow> {
  const row = await db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('export', id)
  return row
}

/** Ids of exports still waiting for the queue, oldest first: like pending batches, queued again at every start. */
export async function pendingExportIds(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('exports')
    .select('id')
    .where('status', '=', 'pending')
    .orderBy('created_at')
    .execute()
  return rows.map((row) => row.id)
}

/** Ends a pending export; false when another worker finished it first. */
export async function finishExport(
  db: Db,
  id: string,
  outcome: { status: Exclude<ExportStatus, 'pending'>; error?: string },
): Promise<boolean> {
  const result = await db
    .updateTable('exports')
    .set({ status: outcome.status, error: outcome.error ?? null, finished_at: now() })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}
