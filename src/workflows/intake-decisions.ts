import type { Transaction } from 'kysely'
import { PoisonguardError } from '../errors.js'
import {
  countAttempt,
  decideBatch,
  getBatch,
  getDataset,
  getSource,
  getVersion,
  insertVersion,
  type SourceRow,
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
import { datasetAnswers } from './intake-crowd.js'
import type { IntakePolicy } from './intake-policy.js'
import { projectPolicy } from './intake-service.js'

/*
 * What happens to a batch after it was submitted: the gate's decision, a reviewer's, the version an accepted batch
 * becomes, and the source's failure streak. Each change commits together with its audit entry.
 */

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
    answers: await datasetAnswers(store, dataset.id),
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

/** What record-level review changed in a batch before it is accepted: its data and a summary for the log. */
export interface ReviewedBatch {
  /** The batch as it is to be appended: dropped records left out, relabelled ones changed. */
  data: Buffer
  details: Record<string, unknown>
  /** Checked again inside the transaction, so decisions made meanwhile cannot be lost silently. */
  stillCurrent?: (trx: Transaction<Database>) => Promise<void>
}

/**
 * Accepting a batch whole would let records a reviewer dropped or relabelled through as they came, so while any
 * record decision counts, only applying the decisions (or undoing them first) accepts it.
 */
async function refuseOverRecordDecisions(db: Db, batchId: string): Promise<void> {
  const { count } = await db
    .selectFrom('review_decisions')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('batch_id', '=', batchId)
    .where('undone_at', 'is', null)
    .executeTakeFirstOrThrow()
  if (Number(count) > 0) {
    throw new PoisonguardError(
      'CONFLICT',
      `batch ${batchId} has ${count} record decision(s) a whole-batch accept would ignore`,
      { hint: 'apply them (POST /v1/batches/{batchId}/decisions/apply) or undo them first' },
    )
  }
}

/**
 * A reviewer's decision on a batch the gate sent to review: accept makes the next version (of `reviewed.data` when
 * records were reviewed one by one), reject closes it.
 */
export async function reviewBatch(
  store: Store,
  actor: string,
  batchId: string,
  decision: 'accept' | 'reject',
  note?: string,
  reviewed?: ReviewedBatch,
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
      reviewed?.data ?? (await store.getBlob(batch.data_blob)),
    )
    if ('problem' in combined) throw new PoisonguardError('CONFLICT', combined.problem)
    next = await nextVersion(store, base, combined.data, format, batchId)
  }
  return store.transaction(async (trx) => {
    const current = await getBatch(trx, batchId)
    if (current.status !== 'needs_review')
      throw new PoisonguardError('CONFLICT', `batch ${batchId} was reviewed by someone else meanwhile`)
    await reviewed?.stillCurrent?.(trx)
    if (decision === 'accept' && !reviewed) await refuseOverRecordDecisions(trx, batchId)
    const versionId = next ? await commitVersion(store, trx, next, batchId) : null
    const status = decision === 'accept' ? 'accepted' : 'rejected'
    await decideBatch(trx, batchId, 'needs_review', { status, reason: batch.reason, versionId })
    await store.appendAudit(trx, {
      actor,
      action: 'batch.review',
      subject: `batch:${batchId}`,
      details: { decision, version: versionId, ...(note ? { note } : {}), ...reviewed?.details },
    })
    return versionId
  })
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
