import { type ComponentChild, h } from 'preact'
import type { RecordReport, ScanReport, Severity } from '../../domain/index.js'
import type { AttackView } from '../attacks.js'
import { type DetectorScoreHistogram, type FindingGroup, suggestedLabelOf } from '../groups.js'
import { formatCount, formatScore, truncate } from '../html-format.js'
import type { RecordEvidence } from './evidence.js'
import { Exemplars } from './pictures.js'
import { columnHeads, DataTable } from './table.js'

const EXEMPLARS_SHOWN = 24

function SeverityBadge(props: { severity: Severity | null }): ComponentChild {
  return props.severity
    ? h('span', { class: `badge sev-${props.severity}` }, props.severity)
    : h('span', { class: 'muted' }, '–')
}

function RecordTable(props: {
  records: readonly RecordReport[]
  rows: Int32Array
  caption: string
  limit: number
}) {
  const listed = Array.from(props.rows.subarray(0, props.limit))
  return h(
    DataTable,
    {
      caption: props.caption,
      head: columnHeads(['Record', 'Label', 'Suggested', 'Severity', 'Suspicion', 'Also found by']),
      after:
        props.rows.length > listed.length
          ? h(
              'p',
              { class: 'muted small' },
              `The ${listed.length} most suspicious of ${formatCount(props.rows.length)}; the CSV download and the JSON report list all of them.`,
            )
          : null,
    },
    listed.map((row) => {
      const record = props.records[row]
      const detectors = [...new Set(record.findings.map((finding) => finding.detector))]
      return h(
        'tr',
        null,
        h('th', { scope: 'row' }, h('code', null, truncate(record.id, 40))),
        h('td', null, record.label ?? '–'),
        h('td', null, suggestedLabelOf(record) ?? '–'),
        h('td', null, h(SeverityBadge, { severity: record.severity })),
        h('td', { class: 'num' }, formatScore(record.suspicion)),
        h('td', { class: 'small' }, detectors.join(', ')),
      )
    }),
  )
}

function groupTitle(group: FindingGroup, attacks: readonly AttackView[]): string {
  if (group.attackIndex !== undefined) return attacks[group.attackIndex].attack.description
  const labels =
    group.label === undefined
      ? ''
      : group.suggestedLabel === undefined
        ? ` · labelled ${group.label}`
        : ` · labelled ${group.label}, suggested ${group.suggestedLabel}`
  return `${group.kind.replace('_', ' ')} by ${group.detector}${labels}`
}

/** Flagged records grouped by cause, each group collapsed to one line until opened. */
export function FindingGroups(props: {
  report: ScanReport
  groups: readonly FindingGroup[]
  attacks: readonly AttackView[]
  evidence: RecordEvidence
  /** Records listed per group; the rest are counted. */
  listLimit: number
}): ComponentChild {
  const { report, groups, attacks, evidence } = props
  if (groups.length === 0)
    return h('p', { class: 'muted' }, 'No records were flagged, so there is nothing to review.')
  return groups.map((group) => {
    const title = truncate(groupTitle(group, attacks), 200)
    const terms =
      group.attackIndex !== undefined && attacks[group.attackIndex].trigger?.modality === 'text'
        ? attacks[group.attackIndex].trigger?.features
        : undefined
    return h(
      'details',
      { class: 'group', id: `group-${group.key}` },
      h(
        'summary',
        null,
        h('span', { class: 'group-count' }, formatCount(group.rows.length)),
        h('span', { class: 'kind' }, group.kind),
        ' ',
        title,
      ),
      h('p', { class: 'explanation' }, truncate(group.explanation, 600)),
      h(Exemplars, { records: report.records, rows: group.rows, evidence, limit: EXEMPLARS_SHOWN, terms }),
      h(RecordTable, {
        records: report.records,
        rows: group.rows,
        caption: `Records: ${title}`,
        limit: props.listLimit,
      }),
    )
  })
}

/** Small histograms of each detector's scores, flagged records in red, one per detector. */
export function DetectorHistograms(props: { histograms: readonly DetectorScoreHistogram[] }): ComponentChild {
  if (props.histograms.length === 0) return h('p', { class: 'muted' }, 'No detector reported a finding.')
  return h(
    'div',
    { class: 'histograms' },
    props.histograms.map((histogram) => {
      const binCount = histogram.total.length
      const max = Math.max(...histogram.total)
      const bars = Array.from(histogram.total, (total, bin) => {
        const height = total > 0 ? Math.max(1, (40 * total) / max) : 0
        const flaggedHeight = total > 0 ? (height * histogram.flagged[bin]) / total : 0
        return [
          h('rect', { class: 'bar-clean', x: bin * 6, y: 40 - height, width: 5, height }),
          flaggedHeight > 0
            ? h('rect', {
                class: 'bar-flagged',
                x: bin * 6,
                y: 40 - flaggedHeight,
                width: 5,
                height: flaggedHeight,
              })
            : null,
        ]
      })
      const reported = histogram.total.reduce((sum, count) => sum + count, 0)
      const flagged = histogram.flagged.reduce((sum, count) => sum + count, 0)
      return h(
        'figure',
        { class: 'histogram' },
        h(
          'svg',
          {
            viewBox: `0 0 ${binCount * 6} 40`,
            width: binCount * 9,
            height: 60,
            preserveAspectRatio: 'none',
            role: 'img',
            'aria-label': `Scores of ${histogram.detector} from 0 to 1: ${reported} records reported, ${flagged} of them flagged`,
          },
          bars,
        ),
        h(
          'figcaption',
          null,
          h('code', null, histogram.detector),
          ` ${formatCount(reported)} reported · ${formatCount(flagged)} flagged`,
        ),
      )
    }),
  )
}
