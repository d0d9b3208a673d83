import { h } from 'preact'
import { flaggedRecordsCsv } from '../../../src/report/flagged-csv.js'
import { detectorScoreHistograms } from '../../../src/report/groups.js'
import { ColumnSummary, DriftHeatMap, inferImageShape } from '../../../src/report/views/drift.js'
import { DetectorHistograms, FindingGroups } from '../../../src/report/views/groups.js'
import { VerdictSection } from '../../../src/report/views/verdict.js'
import { batchCrumbs, batchTabs, type Queue, viewsOf } from '../queue.js'
import { link, Page, Pending, StatusBadge, Time, useApi } from '../ui.js'

function BatchFacts(props: { queue: Queue }) {
  const { batch } = props.queue
  return h(
    'dl',
    { class: 'facts batch-facts' },
    h('div', null, h('dt', null, 'Gate status'), h('dd', null, h(StatusBadge, { status: batch.status }))),
    h('div', null, h('dt', null, 'Rows'), h('dd', null, String(batch.rows))),
    h('div', null, h('dt', null, 'Source'), h('dd', null, batch.source.name)),
    h('div', null, h('dt', null, 'Submitted'), h('dd', null, h(Time, { iso: batch.createdAt }))),
    batch.reason ? h('div', { class: 'wide' }, h('dt', null, 'Why'), h('dd', null, batch.reason)) : null,
  )
}

/** A batch's verdict: each attack with its picture, then the flagged records grouped by cause, as in the static report. */
export function BatchPage(props: { batchId: string }) {
  const { data, error } = useApi<Queue>(`/v1/batches/${props.batchId}/review-queue`)
  const page = { title: 'Batch verdict', crumbs: batchCrumbs(data), tabs: batchTabs(props.batchId) }
  if (!data) return h(Page, page, h(Pending, { error }))
  const { attacks, groups, evidence } = viewsOf(data)
  const csv = flaggedRecordsCsv(data.report)
  const nextStep =
    data.batch.status === 'needs_review'
      ? h(
          'p',
          null,
          'Decide about each flagged record, or a whole finding at once, in the ',
          link(`/batches/${props.batchId}/review`, 'review queue'),
          '; the decisions are applied when the batch is accepted.',
        )
      : h('p', null, `The batch is ${data.batch.status.replace('_', ' ')}; there is nothing left to decide.`)
  return h(
    Page,
    page,
    h(
      'section',
      { 'aria-labelledby': 'batch-title' },
      h('h2', { id: 'batch-title' }, 'The batch'),
      h(BatchFacts, { queue: data }),
    ),
    h(VerdictSection, {
      report: data.report,
      attacks,
      groups,
      evidence,
      csv: { href: `data:text/csv;charset=utf-8,${encodeURIComponent(csv.text)}`, records: csv.records },
      nextStep,
    }),
    h(
      'section',
      { id: 'findings', 'aria-labelledby': 'findings-title' },
      h('h2', { id: 'findings-title' }, 'Findings'),
      h('p', { class: 'lead' }, 'Flagged records grouped by cause. Open a group to see its records.'),
      h(FindingGroups, { report: data.report, groups, attacks, evidence, listLimit: 50 }),
    ),
    h(
      'section',
      { id: 'scores', 'aria-labelledby': 'scores-title' },
      h('h2', { id: 'scores-title' }, 'Scores'),
      h(DetectorHistograms, { histograms: detectorScoreHistograms(data.report) }),
    ),
  )
}

/** How the batch's distribution differs from the trusted version: a heat map for images, the most shifted columns first. */
export function DriftPage(props: { batchId: string }) {
  const { data, error } = useApi<Queue>(`/v1/batches/${props.batchId}/review-queue`)
  const page = { title: 'Batch drift', crumbs: batchCrumbs(data), tabs: batchTabs(props.batchId) }
  if (!data) return h(Page, page, h(Pending, { error }))
  const drift = data.drift
  if (!drift)
    return h(
      Page,
      page,
      h(
        'p',
        { class: 'muted' },
        'The batch could not be compared with the trusted version (see its gate reasons).',
      ),
    )
  const shape = inferImageShape(
    drift.columns.map((test) => test.column ?? ''),
    data.evidence.imageShape,
  )
  const other = drift.findings.filter((finding) => finding.column === undefined)
  return h(
    Page,
    page,
    h(
      'p',
      { class: `verdict ${drift.summary.drifted ? 'verdict-medium' : 'verdict-clean'}`, role: 'status' },
      h(
        'strong',
        null,
        drift.summary.drifted
          ? `Drifted: ${drift.summary.significantTests} of ${drift.summary.tests} tests significant`
          : `No significant drift in ${drift.summary.tests} tests`,
      ),
    ),
    other.length > 0
      ? h(
          'section',
          { 'aria-labelledby': 'dataset-drift-title' },
          h('h2', { id: 'dataset-drift-title' }, 'Labels, sources and the whole distribution'),
          h(
            'ul',
            { class: 'findings' },
            other.map((finding) =>
              h(
                'li',
                null,
                h('span', { class: `badge sev-${finding.severity}` }, finding.severity),
                ' ',
                finding.explanation,
              ),
            ),
          ),
        )
      : null,
    h(
      'section',
      { id: 'columns', 'aria-labelledby': 'columns-title' },
      h('h2', { id: 'columns-title' }, 'Columns'),
      shape ? h(DriftHeatMap, { tests: drift.columns, shape }) : null,
      h(ColumnSummary, { tests: drift.columns, topCount: 12 }),
    ),
  )
}
