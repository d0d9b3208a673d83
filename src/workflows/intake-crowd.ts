import { randomUUID } from 'node:crypto'
import {
  type AnnotationTable,
  AnnotationTableBuilder,
  type AnnotatorEntry,
  aggregateCrowd,
  annotatorEntries,
  describeInputWarning,
  type GroupEntry,
  groupEntries,
} from '../crowd/index.js'
import { PoisonguardError } from '../errors.js'
import { getBatch, getDataset, getSource, type SourceRow } from '../store/catalog.js'
import type { Db, Store } from '../store/store.js'
import { SCAN_MODEL } from './crowd-scan.js'
import type { IntakePolicy } from './intake-policy.js'
import { projectPolicy, requireActiveSource } from './intake-service.js'

/*
 * Contributors' crowd answers: stored encrypted as they arrive, each submission audited, and read back by the
 * intake pipeline, which aggregates every answer about the dataset with the crowd library before it scans a batch.
 */

/** One crowd answer: an annotator gave `label` to the record whose id is `item`. */
export interface CrowdAnswer {
  item: string
  annotator: string
  label: string
  /** Seconds since the epoch; answers given in bursts are one of the collusion signals. */
  time?: number
}

/** A contributor's answers, sent through one of its sources, optionally about one batch. */
export interface AnnotationSubmission {
  datasetId: string
  sourceId: string
  batchId?: string
  answers: readonly CrowdAnswer[]
}

function tableOf(answers: Iterable<CrowdAnswer>) {
  const builder = new AnnotationTableBuilder()
  let row = 0
  for (const answer of answers)
    builder.add(answer.item, answer.annotator, answer.label, answer.time ?? Number.NaN, ++row)
  return builder.build()
}

/**
 * Stores a submission of answers and logs it; returns what it held and the input warnings of `poisonguard crowd`
 * (repeated answers, a label given once, a lone annotator). Answers count for batches scanned after they arrive.
 */
export async function submitAnnotations(
  store: Store,
  actor: string,
  submission: AnnotationSubmission,
): Promise<{ id: string; answers: number; items: number; annotators: number; warnings: string[] }> {
  const { table, warnings } = tableOf(submission.answers)
  const jsonLines = submission.answers.map((answer) => JSON.stringify(answer)).join('\n')
  return store.transaction(async (trx) => {
    const dataset = await getDataset(trx, submission.datasetId)
    const source = await getSource(trx, submission.sourceId)
    if (source.project_id !== dataset.project_id)
      throw new PoisonguardError('NOT_FOUND', `source ${source.id} does not belong to the dataset's project`)
    requireActiveSource(source)
    await checkAnswerRate(trx, source, await projectPolicy(trx, dataset.project_id))
    if (submission.batchId && (await getBatch(trx, submission.batchId)).dataset_id !== dataset.id)
      throw new PoisonguardError('NOT_FOUND', `batch ${submission.batchId} is not a batch of this dataset`)
    const id = randomUUID()
    await trx
      .insertInto('annotation_sets')
      .values({
        id,
        dataset_id: dataset.id,
        source_id: source.id,
        batch_id: submission.batchId ?? null,
        submitted_by: actor,
        answers_blob: await store.putBlob(trx, Buffer.from(jsonLines)),
        answer_count: table.item.length,
        created_at: new Date().toISOString(),
      })
      .execute()
    const counts = {
      answers: table.item.length,
      items: table.itemIds.length,
      annotators: table.annotatorIds.length,
    }
    await store.appendAudit(trx, {
      actor,
      action: 'annotations.submit',
      subject: `annotations:${id}`,
      details: { dataset: dataset.id, source: source.id, batch: submission.batchId ?? null, ...counts },
    })
    return { id, ...counts, warnings: warnings.map(describeInputWarning) }
  })
}

/** A source may send `maxBatchesPerHour` submissions of answers an hour, counted apart from its batches. */
async function checkAnswerRate(trx: Db, source: SourceRow, policy: IntakePolicy): Promise<void> {
  const since = new Date(Date.now() - 3_600_000).toISOString()
  const row = await trx
    .selectFrom('annotation_sets')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('source_id', '=', source.id)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow()
  if (Number(row.count) >= policy.maxBatchesPerHour)
    throw new PoisonguardError(
      'QUOTA_EXCEEDED',
      `source ${source.name} sent ${row.count} submissions of answers in the last hour; the limit is ${policy.maxBatchesPerHour}`,
      { hint: 'send more answers in each submission, or ask a project owner to raise maxBatchesPerHour' },
    )
}

/**
 * Every answer contributors sent about a dataset, oldest first (an annotator's first answer to an item counts).
 * Annotators are named `source/annotator`: a source answers only for its own annotators, never in another's name.
 */
export async function datasetAnswers(store: Store, datasetId: string): Promise<AnnotationTable | undefined> {
  const sets = await store.db
    .selectFrom('annotation_sets')
    .innerJoin('sources', 'sources.id', 'annotation_sets.source_id')
    .select(['annotation_sets.answers_blob', 'sources.name'])
    .where('annotation_sets.dataset_id', '=', datasetId)
    .orderBy('annotation_sets.created_at')
    .execute()
  if (sets.length === 0) return undefined
  const answers: CrowdAnswer[] = []
  for (const set of sets)
    for (const line of (await store.getBlob(set.answers_blob)).toString('utf8').split('\n')) {
      const answer = JSON.parse(line) as CrowdAnswer
      answers.push({ ...answer, annotator: `${set.name}/${answer.annotator}` })
    }
  return tableOf(answers).table
}

/** The whole crowd of a dataset as the intake scan sees it: every annotator's reliability and why any was set aside. */
export interface DatasetCrowd {
  answers: number
  items: number
  annotators: Pick<
    AnnotatorEntry,
    'annotator' | 'answers' | 'reliability' | 'interval' | 'weight' | 'flagged' | 'reason'
  >[]
  groups: GroupEntry[]
}

/** Aggregates every answer about a dataset with the scan's model; undefined when nobody sent any. */
export async function datasetCrowd(store: Store, datasetId: string): Promise<DatasetCrowd | undefined> {
  const table = await datasetAnswers(store, datasetId)
  if (!table) return undefined
  const result = aggregateCrowd(table, { model: SCAN_MODEL })
  return {
    answers: table.item.length,
    items: table.itemIds.length,
    annotators: annotatorEntries(table, result).map(
      ({ annotator, answers, reliability, interval, weight, flagged, reason }) => ({
        annotator,
        answers,
        reliability,
        interval,
        weight,
        flagged,
        reason,
      }),
    ),
    groups: groupEntries(table, result),
  }
}
