import type { Transaction } from 'kysely'
import { PoisonguardError } from '../errors.js'
import {
  countAttempt,
  createDataset,
  decideBatch,
  getBatch,
  getDataset,
  getProject,
  getSource,
  getVersion,
  insertBatch,
  insertVersion,
  type SourceRow,
  sourceUsageSince,
  updateSource,
  type VersionRow,
} from '../store/catalog.js'
import type { Database } from '../store/schema.js'
import type { Db, Store } from '../store/store.js'
import {
  combineData,
  type IntakeFormat,
  type IntakeResult,
  runIntakePipeline,
  signVersion,
} from './intake.js'
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

async function checkLimits(
  trx: Db,
  source: SourceRow,
  rowCount: number,
  policy: IntakePolicy,
): Promise<void> {
  if (source.status !== 'active')
    throw new PoisonguardError(
      'FORBIDDEN',
      `source ${source.name} is quarantined and may not submit batches`,
      {
        hint: 'a project admin can release it after looking at its batches',
      },
    )
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

/** How one run of the pipeline on a batch ended. */
export type ProcessOutcome =
  | { status: 'decided'; decision: IntakeResult['decision'] }
  | { status: 'skipped'; reason: string }

/**
 * Runs the intake pipeline on a pending batch and records the gate's decision; an accepted batch becomes the next
 * version in the same transaction. Running it twice, or after another worker, changes nothing.
 */
export async function processBatch(store: Store, batchId: string): Promise<ProcessOutcome> {
  const batch = await getBatch(store.db, batchId)
  if (batch.status !== 'pending') return { status: 'skipped', reason: `already ${batch.status}` }
  await countAttempt(store.db, batchId)
  const dataset = await getDataset(store.db, batch.dataset_id)
  const source = await getSource(store.db, batch.source_id)
  const policy = await projectPolicy(store.db, dataset.project_id)
  const base = await getVersion(store.db, dataset.current_version_id!)
  const result = await runIntakePipeline({
    format: dataset.format as IntakeFormat,
    batch: await store.getBlob(batch.data_blob),
    manifest: batch.manifest_blob ? await store.getBlob(batch.manifest_blob) : undefined,
    sidecar: batch.sidecar_blob ? await store.getBlob(batch.sidecar_blob) : undefined,
    sourcePublicKeyPem: source.public_key_pem,
    reference: await store.getBlob(base.data_blob),
    policy,
  })
  const next = result.combined
    ? await nextVersion(store, base, result.combined, dataset.format as IntakeFormat, batchId)
    : undefined
  const { combined: _combined, ...stored } = result
  const status = statusOf[result.decision]
  const decided = await store.transaction(async (trx) => {
    const current = await getBatch(trx, batchId)
    if (current.status !== 'pending') return false
    const versionId = next ? await commitVersion(store, trx, next, batchId) : null
    await decideBatch(trx, batchId, 'pending', {
      status,
      reason: describeReasons(result),
      result: JSON.stringify(stored),
      versionId,
    })
    await store.appendAudit(trx, {
      actor: 'system',
      action: 'batch.gate',
      subject: `batch:${batchId}`,
      details: {
        decision: status,
        reasons: result.reasons.map((reason) => reason.stage),
        version: versionId,
      },
    })
    await updateStreak(store, trx, source, status === 'quarantined', policy)
    return true
  })
  return decided
    ? { status: 'decided', decision: result.decision }
    : { status: 'skipped', reason: 'decided elsewhere' }
}

const statusOf = { accept: 'accepted', quarantine: 'quarantined', needs_review: 'needs_review' } as const

function describeReasons(result: IntakeResult): string | null {
  return result.reasons.length === 0
    ? null
    : result.reasons.map((reason) => `${reason.stage}: ${reason.message}`).join(' | ')
}

interface PreparedVersion {
  datasetId: string
  baseId: string
  number: number
  data: Buffer
  artifacts: Awaited<ReturnType<typeof signVersion>>
}

async function nextVersion(
  store: Store,
  base: VersionRow,
  data: Buffer,
  format: IntakeFormat,
  batchId: string,
): Promise<PreparedVersion> {
  const artifacts = await signVersion(data, format, await store.signingKey(), {
    number: base.number + 1,
    parentManifest: await store.getBlob(base.manifest_blob),
    batchId,
  })
  return { datasetId: base.dataset_id, baseId: base.id, number: base.number + 1, data, artifacts }
}

/** Stores a prepared version, unless the dataset moved on meanwhile (then the batch must be run again). */
async function commitVersion(
  store: Store,
  trx: Transaction<Database>,
  next: PreparedVersion,
  batchId: string,
): Promise<string> {
  const dataset = await getDataset(trx, next.datasetId)
  if (dataset.current_version_id !== next.baseId)
    throw new PoisonguardError(
      'CONFLICT',
      `dataset ${dataset.id} gained a version while batch ${batchId} was checked; it will be checked again`,
    )
  const versionId = await insertVersion(trx, {
    dataset_id: next.datasetId,
    number: next.number,
    sha256: next.artifacts.sha256,
    parent_id: next.baseId,
    row_count: next.artifacts.rowCount,
    data_blob: await store.putBlob(trx, next.data),
    manifest_blob: await store.putBlob(trx, next.artifacts.manifest),
    sidecar_blob: await store.putBlob(trx, next.artifacts.sidecar),
    batch_id: batchId,
  })
  return versionId
}

async function updateStreak(
  store: Store,
  trx: Db,
  source: SourceRow,
  failed: boolean,
  policy: IntakePolicy,
): Promise<void> {
  const current = await getSource(trx, source.id)
  const streak = failed ? current.failure_streak + 1 : 0
  const quarantine = failed && streak >= policy.quarantineSourceAfter && current.status === 'active'
  await updateSource(trx, source.id, {
    failure_streak: streak,
    ...(quarantine ? { status: 'quarantined' } : {}),
  })
  if (quarantine)
    await store.appendAudit(trx, {
      actor: 'system',
      action: 'source.quarantine',
      subject: `source:${source.id}`,
      details: { reason: `${streak} quarantined batches in a row` },
    })
}

/** A reviewer's decision on a batch the gate sent to review: accept makes the next version, reject closes it. */
export async function reviewBatch(
  store: Store,
  actor: string,
  batchId: string,
  decision: 'accept' | 'reject',
  note?: string,
): Promise<string | null> {
  const batch = await getBatch(store.db, batchId)
  if (batch.status !== 'needs_review')
    throw new PoisonguardError(
      'CONFLICT',
      `batch ${batchId} is ${batch.status}; only batches needing review can be reviewed`,
    )
  const dataset = await getDataset(store.db, batch.dataset_id)
  let next: PreparedVersion | undefined
  if (decision === 'accept') {
    const base = await getVersion(store.db, dataset.current_version_id!)
    const format = dataset.format as IntakeFormat
    const combined = combineData(
      format,
      await store.getBlob(base.data_blob),
      await store.getBlob(batch.data_blob),
    )
    if ('problem' in combined) throw new PoisonguardError('CONFLICT', combined.problem)
    next = await nextVersion(store, base, combined.data, format, batchId)
  }
  return store.transaction(async (trx) => {
    const current = await getBatch(trx, batchId)
    if (current.status !== 'needs_review')
      throw new PoisonguardError('CONFLICT', `batch ${batchId} was reviewed by someone else meanwhile`)
    const versionId = next ? await commitVersion(store, trx, next, batchId) : null
    const status = decision === 'accept' ? 'accepted' : 'rejected'
    await decideBatch(trx, batchId, 'needs_review', { status, reason: batch.reason, versionId })
    await store.appendAudit(trx, {
      actor,
      action: 'batch.review',
      subject: `batch:${batchId}`,
      details: { decision, version: versionId, ...(note ? { note } : {}) },
    })
    return versionId
  })
}

/** A version's data with its signed manifest and record digests; the export is logged. */
export async function exportVersion(
  store: Store,
  actor: string,
  versionId: string,
): Promise<{ version: VersionRow; data: Buffer; manifest: Buffer; sidecar: Buffer }> {
  const version = await getVersion(store.db, versionId)
  const data = await store.getBlob(version.data_blob)
  const manifest = await store.getBlob(version.manifest_blob)
  const sidecar = await store.getBlob(version.sidecar_blob)
  await store.transaction((trx) =>
    store.appendAudit(trx, {
      actor,
      action: 'version.export',
      subject: `version:${versionId}`,
      details: { sha256: version.sha256 },
    }),
  )
  return { version, data, manifest, sidecar }
}

/** Quarantines a source or lets it submit again; logged. */
export async function setSourceStatus(
  store: Store,
  actor: string,
  sourceId: string,
  status: SourceRow['status'],
): Promise<void> {
  await store.transaction(async (trx) => {
    await updateSource(trx, sourceId, { status, failure_streak: 0 })
    await store.appendAudit(trx, {
      actor,
      action: status === 'quarantined' ? 'source.quarantine' : 'source.release',
      subject: `source:${sourceId}`,
    })
  })
}
