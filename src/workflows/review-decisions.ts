import { randomUUID } from 'node:crypto'
import { effectiveDecisions, type ReviewAction, type ReviewDecision } from '../domain/review.js'
import { PoisonguardError } from '../errors.js'
import { getBatch, getDataset } from '../store/catalog.js'
import type { ReviewDecisionsTable } from '../store/schema.js'
import type { Db, Store } from '../store/store.js'
import { filterStoredDataset, storedResult } from './batch-data.js'
import type { IntakeFormat } from './intake.js'
import { reviewBatch } from './intake-decisions.js'

/*
 * Record-level review of a batch the gate sent to a person: each decision (drop, relabel, keep) covers one record
 * or a whole finding's records, is stored with who made it and when, and commits with its audit entry. A later
 * decision about a record replaces an earlier one; an undone decision no longer counts. Applying the decisions
 * accepts the batch as the next version with dropped records left out and relabelled ones changed.
 */

/** A decision to record. */
export interface DecisionInput {
  action: ReviewAction
  recordIds: readonly string[]
  /** The new label; required for `relabel`, refused otherwise. */
  label?: string
  /** The finding group a bulk decision acts on, for the log. */
  finding?: string
}

function decisionOf(row: ReviewDecisionsTable & { actor_name: string }): ReviewDecision {
  return {
    id: row.id,
    seq: Number(row.seq),
    action: row.action,
    label: row.label,
    recordIds: JSON.parse(row.record_ids) as string[],
    finding: row.finding,
    actor: row.actor,
    actorName: row.actor_name,
    createdAt: row.created_at,
    undoneAt: row.undone_at,
    undoneBy: row.undone_by,
  }
}

/** Every decision about a batch's records, in the order they were made, undone ones included. */
export async function listDecisions(db: Db, batchId: string): Promise<ReviewDecision[]> {
  const rows = await db
    .selectFrom('review_decisions')
    .innerJoin('users', 'users.id', 'review_decisions.actor')
    .selectAll('review_decisions')
    .select('users.name as actor_name')
    .where('batch_id', '=', batchId)
    .orderBy('seq')
    .execute()
  return rows.map(decisionOf)
}

/** The ids of the records the gate flagged in a batch: the records a reviewer decides about. */
async function flaggedIds(db: Db, batchId: string): Promise<Set<string>> {
  const batch = await getBatch(db, batchId)
  if (batch.status !== 'needs_review')
    throw new PoisonguardError(
      'CONFLICT',
      `batch ${batchId} is ${batch.status}; records can be reviewed only while the batch needs review`,
    )
  const result = storedResult(batch.result)
  return new Set((result?.scan?.records ?? []).filter((record) => record.flagged).map((record) => record.id))
}

function checkInput(input: DecisionInput, flagged: Set<string>): void {
  const unknown = input.recordIds.filter((id) => !flagged.has(id))
  if (unknown.length > 0)
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `${unknown.length} record id(s) are not flagged records of this batch, e.g. ${JSON.stringify(unknown[0])}`,
      { hint: 'decide only about the records of the review queue (GET the batch review)' },
    )
  if (input.action === 'relabel' && !input.label)
    throw new PoisonguardError('INVALID_ARGUMENT', 'a relabel decision needs the new label', {
      hint: 'send "label" with the class the records should have',
    })
  if (input.action !== 'relabel' && input.label !== undefined)
    throw new PoisonguardError('INVALID_ARGUMENT', `a ${input.action} decision takes no label`)
}

/** Records a reviewer's decision about flagged records of a batch, with its audit entry. */
export async function recordDecision(
  store: Store,
  actor: string,
  batchId: string,
  input: DecisionInput,
): Promise<ReviewDecision> {
  const recordIds = [...new Set(input.recordIds)]
  return store.transaction(async (trx) => {
    checkInput({ ...input, recordIds }, await flaggedIds(trx, batchId))
    const last = await trx
      .selectFrom('review_decisions')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('batch_id', '=', batchId)
      .executeTakeFirst()
    const seq = last?.seq === null || last?.seq === undefined ? 0 : Number(last.seq) + 1
    const id = randomUUID()
    await trx
      .insertInto('review_decisions')
      .values({
        id,
        batch_id: batchId,
        seq,
        action: input.action,
        label: input.label ?? null,
        record_ids: JSON.stringify(recordIds),
        finding: input.finding ?? null,
        actor,
        created_at: new Date().toISOString(),
        undone_at: null,
        undone_by: null,
      })
      .execute()
    await store.appendAudit(trx, {
      actor,
      action: 'review.decide',
      subject: `batch:${batchId}`,
      details: {
        decision: id,
        action: input.action,
        ...(input.label === undefined ? {} : { label: input.label }),
        ...(input.finding === undefined ? {} : { finding: input.finding }),
        records: recordIds,
      },
    })
    return (await listDecisions(trx, batchId)).find((decision) => decision.id === id)!
  })
}

/** Undoes a decision: the records it covered fall back to any earlier decision about them; logged. */
export async function undoDecision(
  store: Store,
  actor: string,
  batchId: string,
  decisionId: string,
): Promise<ReviewDecision> {
  return store.transaction(async (trx) => {
    await flaggedIds(trx, batchId)
    const decision = (await listDecisions(trx, batchId)).find((candidate) => candidate.id === decisionId)
    if (!decision) throw new PoisonguardError('NOT_FOUND', `batch ${batchId} has no decision ${decisionId}`)
    if (decision.undoneAt !== null)
      throw new PoisonguardError('CONFLICT', `decision ${decisionId} was already undone`)
    const now = new Date().toISOString()
    await trx
      .updateTable('review_decisions')
      .set({ undone_at: now, undone_by: actor })
      .where('id', '=', decisionId)
      .execute()
    await store.appendAudit(trx, {
      actor,
      action: 'review.undo',
      subject: `batch:${batchId}`,
      details: { decision: decisionId, action: decision.action, records: decision.recordIds.length },
    })
    return { ...decision, undoneAt: now, undoneBy: actor }
  })
}

/** What applying the decisions did to the batch's records. */
export interface AppliedReview {
  versionId: string
  dropped: number
  relabelled: number
  kept: number
  /** Flagged records nobody decided about, dropped as `scan --export-clean` drops flagged records. */
  undecided: number
}

/**
 * Accepts a reviewed batch as the next version with the decisions applied: dropped records (and flagged records
 * nobody decided about) left out, relabelled records with their new label, kept records as they came.
 */
export async function applyDecisions(
  store: Store,
  actor: string,
  batchId: string,
  note?: string,
): Promise<AppliedReview> {
  const flagged = await flaggedIds(store.db, batchId)
  const decisions = await listDecisions(store.db, batchId)
  const current = effectiveDecisions(decisions)
  const batch = await getBatch(store.db, batchId)
  const dataset = await getDataset(store.db, batch.dataset_id)
  const counts = { dropped: 0, relabelled: 0, kept: 0, undecided: 0 }
  const filtered = await filterStoredDataset(
    dataset.format as IntakeFormat,
    await store.getBlob(batch.data_blob),
    (loaded) => {
      const keep = new Uint8Array(loaded.rowCount).fill(1)
      const relabel = new Map<number, string>()
      loaded.ids.forEach((id, row) => {
        if (!flagged.has(id)) return
        const decision = current.get(id)
        if (!decision || decision.action === 'drop') {
          keep[row] = 0
          counts[decision ? 'dropped' : 'undecided']++
        } else if (decision.action === 'relabel') {
          relabel.set(row, decision.label!)
          counts.relabelled++
        } else counts.kept++
      })
      return { keep, relabel }
    },
  )
  const lastSeq = decisions.at(-1)?.seq ?? -1
  const versionId = await reviewBatch(store, actor, batchId, 'accept', note, {
    data: filtered.data,
    details: { ...counts, decisions: decisions.filter((decision) => decision.undoneAt === null).length },
    stillCurrent: async (trx) => {
      const latest = await listDecisions(trx, batchId)
      if (
        (latest.at(-1)?.seq ?? -1) !== lastSeq ||
        latest.some((d, i) => d.undoneAt !== decisions[i]?.undoneAt)
      )
        throw new PoisonguardError(
          'CONFLICT',
          `the decisions about batch ${batchId} changed meanwhile; apply again`,
        )
    },
  })
  return { versionId: versionId!, ...counts }
}
