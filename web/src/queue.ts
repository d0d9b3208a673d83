import { buildAttackViews } from '../../src/report/attacks.js'
import { groupFlaggedRecords } from '../../src/report/groups.js'
import type { RecordEvidence } from '../../src/report/views/evidence.js'
import type { ReviewQueue } from '../../src/workflows/review-queue.js'

/** The review queue as the API returns it to this caller. */
export type Queue = ReviewQueue & { canDecide: boolean }

/** What the shared views draw from a queue: its attacks, their groups, and the pictures the server made. */
export function viewsOf(queue: Queue) {
  const attacks = buildAttackViews(queue.report)
  const groups = groupFlaggedRecords(queue.report, attacks)
  const { thumbnails, texts, averages, imageShape } = queue.evidence
  const evidence: RecordEvidence = {
    imageShape,
    thumbnail: (row) => thumbnails[row],
    averageImage: (rows) => averages[Array.from(rows).join(',')],
    text: (row) => texts[row],
  }
  return { attacks, groups, evidence }
}

/** The tabs of every batch page. */
export function batchTabs(batchId: string): [string, string][] {
  return [
    [`/batches/${batchId}`, 'Verdict'],
    [`/batches/${batchId}/review`, 'Review queue'],
    [`/batches/${batchId}/drift`, 'Drift'],
  ]
}

/** Where a batch page sits. */
export function batchCrumbs(queue: Queue | undefined): [string, string][] {
  return [
    ['/projects', 'Projects'],
    ...(queue
      ? ([
          [`/projects/${queue.batch.dataset.projectId}`, 'Project'],
          [`/datasets/${queue.batch.dataset.id}`, queue.batch.dataset.name],
        ] as [string, string][])
      : []),
  ]
}
