import type { DetectorReport, FindingKind, ScanReport, Severity } from '../domain/index.js'
import { renderShareBar } from './html-charts.js'
import {
  escapeHtml,
  formatCount,
  formatDuration,
  formatParamValue,
  formatPercent,
  truncate,
} from './html-format.js'
import { metaItem } from './page.js'

const KIND_DESCRIPTIONS: Record<FindingKind, string> = {
  label_issue: 'label is probably wrong',
  backdoor: 'carries a suspected backdoor',
  trigger: 'contains a mined trigger pattern',
  clean_label: 'input nudged towards another class',
  near_duplicate: 'near-copy of other records',
  flood: 'part of a flood of near-duplicates',
  contradiction: 'same input with conflicting labels',
  outlier: 'far from the rest of its class',
  drift: 'differs from the reference data',
  schema: 'breaks the expected schema',
  injection: 'carries injected text: hidden, aimed at an assistant, or a repeated payload',
}

const SEVERITIES_DESCENDING: readonly Severity[] = ['high', 'medium', 'low']

function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part !== '')
  return parts.length > 0 ? parts[parts.length - 1] : path
}

/** The page header: dataset identity, tool version and scan time. */
export function renderHeader(report: ScanReport): string {
  const { dataset, tool } = report
  const shape = dataset.imageShape
    ? `${dataset.imageShape.width}×${dataset.imageShape.height} ${dataset.imageShape.channels === 3 ? 'colour ' : ''}images`
    : ''
  const columns = [
    dataset.labelColumn ? `label: <code>${escapeHtml(dataset.labelColumn)}</code>` : '',
    dataset.textColumn ? `text: <code>${escapeHtml(dataset.textColumn)}</code>` : '',
  ].filter((part) => part !== '')
  const items = [
    metaItem('Dataset', `<code>${escapeHtml(dataset.path)}</code>`, 'wide'),
    metaItem('Format', escapeHtml(dataset.format)),
    metaItem('Rows', formatCount(dataset.rows)),
    metaItem('Features', `${formatCount(dataset.featureCount)}${shape ? ` (${escapeHtml(shape)})` : ''}`),
    metaItem('Classes', formatCount(Object.keys(dataset.labels).length)),
    columns.length > 0 ? metaItem('Columns', columns.join(' · ')) : '',
    metaItem('SHA-256', `<code class="hash">${escapeHtml(dataset.sha256)}</code>`, 'wide'),
    metaItem('Tool', `${escapeHtml(tool.name)} ${escapeHtml(tool.version)}`),
    metaItem(
      'Scanned',
      `<time datetime="${escapeHtml(report.createdAt)}">${escapeHtml(report.createdAt)}</time>`,
    ),
  ]
  return [
    '<header class="masthead"><div class="wrap">',
    '<p class="brand"><svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">',
    '<path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3z" fill="#f97066"/>',
    '<path d="m8.5 12 2.5 2.5 4.5-5" fill="none" stroke="#fff" stroke-width="2"/></svg>',
    `poisonguard <span>data poisoning scan</span></p>`,
    `<h1>${escapeHtml(baseName(dataset.path))}</h1>`,
    `<dl class="meta">${items.join('')}</dl>`,
    '</div></header>',
  ].join('')
}

/** Dataset warnings from loading, shown before everything else that depends on the data. */
export function renderWarnings(warnings: readonly string[]): string {
  if (warnings.length === 0) return ''
  const items = warnings.map((warning) => `<li>${escapeHtml(warning)}</li>`).join('')
  return `<section class="notice" aria-labelledby="warnings-title"><h2 id="warnings-title">Dataset warnings (${formatCount(warnings.length)})</h2><ul>${items}</ul></section>`
}

function card(label: string, value: string, note: string, className = ''): string {
  return `<div class="card ${className}"><p class="card-label">${label}</p><p class="card-value">${value}</p><p class="card-note">${note}</p></div>`
}

/** Summary cards: records, flagged, each severity and detector health. */
export function renderSummaryCards(report: ScanReport, recordCount: number): string {
  const { flagged, bySeverity } = report.summary
  const statusCount = (status: string): number => report.detectors.filter((d) => d.status === status).length
  const skipped = statusCount('skipped')
  const failed = statusCount('failed')
  const detectorNote = [skipped > 0 ? `${skipped} skipped` : '', failed > 0 ? `${failed} failed` : '']
    .filter((part) => part !== '')
    .join(', ')
  const cards = [
    card('Records scanned', formatCount(recordCount), `${formatCount(report.dataset.featureCount)} features`),
    card(
      'Flagged',
      formatCount(flagged),
      `${formatPercent(flagged, recordCount)} of records`,
      'card-flagged',
    ),
    ...SEVERITIES_DESCENDING.map((severity) =>
      card(
        `${severity[0].toUpperCase()}${severity.slice(1)} severity`,
        formatCount(bySeverity[severity] ?? 0),
        `${formatPercent(bySeverity[severity] ?? 0, recordCount)} of records`,
        `card-${severity}`,
      ),
    ),
    card(
      'Detectors run',
      `${statusCount('ok')}<span class="card-of"> / ${report.detectors.length}</span>`,
      detectorNote || 'all completed',
      failed > 0 ? 'card-failed' : '',
    ),
  ]
  return `<div class="cards">${cards.join('')}</div>`
}

function renderParams(params: Record<string, unknown>): string {
  const entries = Object.entries(params)
  if (entries.length === 0) return '<span class="muted">defaults</span>'
  return entries
    .slice(0, 8)
    .map(
      ([key, value]) =>
        `<span class="chip"><span class="chip-key">${escapeHtml(key)}</span>=${escapeHtml(truncate(formatParamValue(value), 40))}</span>`,
    )
    .concat(entries.length > 8 ? [`<span class="muted">+${entries.length - 8} more</span>`] : [])
    .join(' ')
}

function detectorRow(detector: DetectorReport): string {
  const notes = [
    detector.reason ? `<p class="reason">${escapeHtml(detector.reason)}</p>` : '',
    ...(detector.warnings ?? []).map((warning) => `<p class="warning-text">⚠ ${escapeHtml(warning)}</p>`),
  ].join('')
  return [
    `<tr><th scope="row"><code class="detector-id">${escapeHtml(detector.id)}</code></th>`,
    `<td><span class="badge status-${escapeHtml(detector.status)}">${escapeHtml(detector.status)}</span></td>`,
    `<td class="num">${detector.status === 'ok' ? formatCount(detector.flagged) : '–'}</td>`,
    `<td class="num">${detector.status === 'skipped' ? '–' : formatDuration(detector.durationMs)}</td>`,
    `<td class="params">${renderParams(detector.params)}</td>`,
    `<td class="notes">${notes || '<span class="muted">–</span>'}</td></tr>`,
  ].join('')
}

/** The per-detector table: status, why it was skipped or failed, flagged count, time and key parameters. */
export function renderDetectorTable(detectors: readonly DetectorReport[]): string {
  if (detectors.length === 0) return '<p class="muted">No detectors ran.</p>'
  return [
    '<div class="table-wrap"><table class="data"><caption>Detectors and their outcome</caption><thead><tr>',
    '<th scope="col">Detector</th><th scope="col">Status</th><th scope="col" class="num">Flagged</th>',
    '<th scope="col" class="num">Duration</th><th scope="col">Parameters</th><th scope="col">Notes</th>',
    `</tr></thead><tbody>${detectors.map(detectorRow).join('')}</tbody></table></div>`,
  ].join('')
}

/** Rows and flagged counts of one group (a label or a source), sorted and capped for very many groups. */
export function renderBreakdownTable(
  groups: Record<string, { rows: number; flagged: number }>,
  options: { heading: string; caption: string; limit: number; naturalOrder: boolean },
): string {
  const collator = new Intl.Collator('en', { numeric: true })
  const entries = Object.entries(groups)
  const byFlagged = (a: [string, { rows: number; flagged: number }], b: typeof a): number =>
    b[1].flagged - a[1].flagged || b[1].rows - a[1].rows || collator.compare(a[0], b[0])
  const natural = options.naturalOrder && entries.length <= options.limit
  entries.sort(natural ? (a, b) => collator.compare(a[0], b[0]) : byFlagged)
  const shown = entries.slice(0, options.limit)
  const maxRows = shown.reduce((max, [, group]) => Math.max(max, group.rows), 0)
  const body = shown
    .map(
      ([name, group]) =>
        `<tr><th scope="row">${escapeHtml(truncate(name, 80))}</th><td class="num">${formatCount(group.rows)}</td>` +
        `<td class="num">${formatCount(group.flagged)}</td><td class="num">${formatPercent(group.flagged, group.rows)}</td>` +
        `<td class="bar-cell">${renderShareBar(group.rows, group.flagged, maxRows)}</td></tr>`,
    )
    .join('')
  const more =
    entries.length > shown.length
      ? `<p class="muted small">Showing the ${formatCount(shown.length)} ${options.heading.toLowerCase()}s with the most flagged records of ${formatCount(entries.length)}.</p>`
      : ''
  return [
    `<div class="table-wrap"><table class="data compact"><caption>${options.caption}</caption><thead><tr>`,
    `<th scope="col">${options.heading}</th><th scope="col" class="num">Rows</th><th scope="col" class="num">Flagged</th>`,
    '<th scope="col" class="num">% flagged</th><th scope="col" class="bar-cell"><span class="key">rows</span> <span class="key key-flagged">flagged</span></th>',
    `</tr></thead><tbody>${body}</tbody></table></div>${more}`,
  ].join('')
}

/** Finding counts per kind with a one-line meaning of each kind. */
export function renderKindTable(byKind: Partial<Record<FindingKind, number>>): string {
  const entries = (Object.entries(byKind) as [FindingKind, number][]).filter(([, count]) => count > 0)
  if (entries.length === 0) return '<p class="muted">No findings.</p>'
  entries.sort((a, b) => b[1] - a[1])
  const max = entries[0][1]
  const body = entries
    .map(
      ([kind, count]) =>
        `<tr><th scope="row"><span class="kind">${escapeHtml(kind)}</span></th>` +
        `<td class="muted">${escapeHtml(KIND_DESCRIPTIONS[kind] ?? '')}</td><td class="num">${formatCount(count)}</td>` +
        `<td class="bar-cell">${renderShareBar(count, 0, max)}</td></tr>`,
    )
    .join('')
  return [
    '<div class="table-wrap"><table class="data compact"><caption>Findings by kind</caption><thead><tr>',
    '<th scope="col">Kind</th><th scope="col">Meaning</th><th scope="col" class="num">Findings</th>',
    `<th scope="col" class="bar-cell"><span class="visually-hidden">Share</span></th></tr></thead><tbody>${body}</tbody></table></div>`,
  ].join('')
}
