import { PoisonguardError } from '../errors.js'
import {
  createDataset,
  getDataset,
  getProject,
  getSource,
  insertBatch,
  insertVersion,
  type SourceRow,
  sourceUsageSince,
} from '../store/catalog.js'
import type { Db, Store } from '../store/store.js'
import { type IntakeFormat, signVersion } from './intake.js'
import { type IntakePolicy, intakePolicySchema } from './intake-policy.js'

/*
 * The intake service's workflows over the store: each state change and its audit entry commit together. The HTTP
 * routes, the queue workers and the tests call these; none of them writes to the store any other way.
 */

/** The policy of a project, with defaults for every field it does not set. */
export async function projectPolicy(db: Db, projectId: string): Promise<IntakePolicy> {
  return intakePolicySchema.parse((await getProject(db, projectId)).policy ?? {})
}

/** Creates a dataset whose first version is `data`, the trusted reference every batch is checked against. */
export async function createDatasetWithReference(
  store: Store,
  actor: string,
  input: { projectId: string; name: string; format: IntakeFormat; data: Buffer },
): Promise<{ datasetId: string; versionId: string }> {
  const artifacts = await signVersion(input.data, input.format, await store.signingKey(), { number: 1 })
  return store.transaction(async (trx) => {
    const datasetId = await createDataset(trx, input.projectId, input.name, input.format)
    const versionId = await insertVersion(trx, {
      dataset_id: datasetId,
      number: 1,
      sha256: artifacts.sha256,
      parent_id: null,
      row_count: artifacts.rowCount,
      data_blob: await store.putBlob(trx, input.data),
      manifest_blob: await store.putBlob(trx, artifacts.manifest),
      sidecar_blob: await store.putBlob(trx, artifacts.sidecar),
      batch_id: null,
    })
    await store.appendAudit(trx, {
      actor,
      action: 'dataset.create',
      subject: `dataset:${datasetId}`,
      details: {
        project: input.projectId,
        name: input.name,
        version: versionId,
        sha256: artifacts.sha256,
        rows: artifacts.rowCount,
      },
    })
    return { datasetId, versionId }
  })
}

/** A batch as a source sends it. */
export interface BatchSubmission {
  datasetId: string
  sourceId: string
  format: IntakeFormat
  data: Buffer
  manifest?: Buffer
  sidecar?: Buffer
}

/** Data rows of a batch, counted without parsing: lines that are not blank, less the CSV header. */
export function countBatchRows(data: Buffer, format: IntakeFormat): number {
  let rows = 0
  for (const line of data.toString('utf8').split('\n')) if (line.trim() !== '') rows++
  return format === 'csv' ? Math.max(0, rows - 1) : rows
}

/**
 * Stores a batch (encrypted) as pending and logs its submission, after the source's status, quotas and rate limit
 * allow it; a refusal is a typed error that names the limit.
 */
export async function submitBatch(store: Store, actor: string, submission: BatchSubmission): Promise<string> {
  const rowCount = countBatchRows(submission.data, submission.format)
  return store.transaction(async (trx) => {
    const dataset = await getDataset(trx, submission.datasetId)
    const source = await getSource(trx, submission.sourceId)
    if (source.project_id !== dataset.project_id)
      throw new PoisonguardError('NOT_FOUND', `source ${source.id} does not belong to the dataset's project`)
    if (dataset.format !== submission.format)
      throw new PoisonguardError(
        'INVALID_ARGUMENT',
        `the dataset takes ${dataset.format} batches, received ${submission.format}`,
      )
    const policy = await projectPolicy(trx, dataset.project_id)
    await checkLimits(trx, source, rowCount, policy)
    const batchId = await insertBatch(trx, {
      dataset_id: dataset.id,
      source_id: source.id,
      submitted_by: actor,
      data_blob: await store.putBlob(trx, submission.data),
      manifest_blob: submission.manifest ? await store.putBlob(trx, submission.manifest) : null,
      sidecar_blob: submission.sidecar ? await store.putBlob(trx, submission.sidecar) : null,
      row_count: rowCount,
      byte_count: submission.data.length,
    })
    await store.appendAudit(trx, {
      actor,
      action: 'batch.submit',
      subject: `batch:${batchId}`,
      details: {
        dataset: dataset.id,
        source: source.id,
        rows: rowCount,
        bytes: submission.data.length,
        signed: Boolean(submission.manifest),
      },
    })
    return batchId
  })
}

/** A quarantined source may send nothing, neither batches nor crowd answers. */
export function requireActiveSource(source: SourceRow): void {
  if (source.status !== 'active')
    throw new PoisonguardError(
      'FORBIDDEN',
      `source ${source.name} is quarantined and may not submit batches or annotations`,
      {
        hint: 'a project admin can release it after looking at its batches',
      },
    )
}

async function checkLimits(
  trx: Db,
  source: SourceRow,
  rowCount: number,
  policy: IntakePolicy,
): Promise<void> {
  requireActiveSource(source)
  if (rowCount === 0) throw new PoisonguardError('EMPTY_FILE', 'the batch has no records')
  if (rowCount > policy.maxBatchRows)
    throw new PoisonguardError(
      'QUOTA_EXCEEDED',
      `the batch has ${rowCount} rows; the project allows at most ${policy.maxBatchRows} per batch`,
    )
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString()
  const dayAgo = new Date(Date.now() - 86_400_000).toISOString()
  const lastHour = await sourceUsageSince(trx, source.id, hourAgo)
  if (lastHour.batches >= policy.maxBatchesPerHour)
    throw new PoisonguardError(
      'QUOTA_EXCEEDED',
      `source ${source.name} sent ${lastHour.batches} batches in the last hour; the limit is ${policy.maxBatchesPerHour}`,
      {
        hint: 'wait, or ask a project owner to raise maxBatchesPerHour',
      },
    )
  const lastDay = await sourceUsageSince(trx, source.id, dayAgo)
  if (lastDay.rows + rowCount > policy.maxRowsPerDay)
    throw new PoisonguardError(
      'QUOTA_EXCEEDED',
      `source ${source.name} would exceed its quota of ${policy.maxRowsPerDay} rows per 24 hours (${lastDay.rows} used)`,
    )
}
