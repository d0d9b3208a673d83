import {
  type AggregationModel,
  type AnnotationTable,
  type AnnotatorEntry,
  aggregateCrowd,
  annotatorEntries,
  type CrowdResult,
  crowdEvidence,
  type GroupEntry,
  groupEntries,
} from '../crowd/index.js'
import type { CrowdEvidence, Dataset, LabelColumn } from '../data/dataset.js'

/**
 * The aggregation a scan uses unless told otherwise. Judging one record's label from a handful of answers wants few
 * parameters per annotator: full confusion matrices overfit sparse answers and grow confident in wrong consensus labels.
 */
export const SCAN_MODEL: AggregationModel = 'glad'

/**
 * What a crowd says about a labelled dataset's records, ready for the `crowd-consensus` detector: the answers
 * aggregated with the adversaries the crowd library finds (spammers, targeted and colluding annotators) set aside,
 * aligned with the records by id. `scan --annotations` and the intake service both come through here.
 */
export function aggregateForScan(
  dataset: Pick<Dataset, 'ids'> & { labels: LabelColumn },
  table: AnnotationTable,
  source: string,
  model: AggregationModel = SCAN_MODEL,
): { crowd: CrowdEvidence; result: CrowdResult } {
  const result = aggregateCrowd(table, { model })
  return { crowd: crowdEvidence({ ids: dataset.ids, labels: dataset.labels, table, result, source }), result }
}

/** The crowd's part in an intake result: who answered about the batch, whom the aggregation set aside and why. */
export interface CrowdSummary {
  model: AggregationModel
  /** Answers about the batch's records, and the records that had any. */
  answers: number
  answeredRecords: number
  /** Annotators in the whole crowd the aggregation read (the dataset's answers, not only this batch's). */
  annotators: number
  flaggedAnnotators: Pick<AnnotatorEntry, 'annotator' | 'answers' | 'reliability' | 'weight' | 'reason'>[]
  /** The colluding groups, each with the count of judged records whose label one of its members gave. */
  groups: (GroupEntry & { records: number })[]
}

/** Summarises the crowd's evidence about records `fromRow` onwards (a batch after its reference). */
export function summarizeCrowd(
  table: AnnotationTable,
  result: CrowdResult,
  crowd: CrowdEvidence,
  fromRow: number,
): CrowdSummary {
  let answers = 0
  let answeredRecords = 0
  for (let row = fromRow; row < crowd.answers.length; row++) {
    answers += crowd.answers[row]
    if (crowd.answers[row] > 0) answeredRecords++
  }
  return {
    model: result.fit.model,
    answers,
    answeredRecords,
    annotators: table.annotatorIds.length,
    flaggedAnnotators: annotatorEntries(table, result)
      .filter((entry) => entry.flagged)
      .map(({ annotator, answers, reliability, weight, reason }) => ({
        annotator,
        answers,
        reliability,
        weight,
        reason,
      })),
    groups: groupEntries(table, result).map((group) => {
      const members = new Set(group.annotators)
      let records = 0
      for (let row = fromRow; row < crowd.pushedBy.length; row++)
        if (crowd.pushedBy[row]?.some((name) => members.has(name))) records++
      return { ...group, records }
    }),
  }
}

/** One sentence per colluding group that gave labels of the judged records, for the gate. */
export function describeCollusion(summary: CrowdSummary): string[] {
  return summary.groups
    .filter((group) => group.records > 0)
    .map((group) => {
      const pushed = group.pushed ? `, mostly ${group.pushed.label} for ${group.pushed.trueClass}` : ''
      return `${group.annotators.length} annotators answering in concert (${group.annotators.join(', ')}) gave the labels of ${group.records} records${pushed}`
    })
}
