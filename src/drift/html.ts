import { h } from 'preact'
import { renderToString } from 'preact-render-to-string'
import type { ImageShape } from '../data/image-shape.js'
import type { Severity } from '../domain/index.js'
import { escapeHtml, formatCount, formatPercent, truncate } from '../report/html-format.js'
import { masthead, metaItem, renderPage, section } from '../report/page.js'
import { ColumnSummary, DriftHeatMap, inferImageShape } from '../report/views/drift.js'
import {
  type CdfCurves,
  CHECK_CSS,
  renderCdfSvg,
  renderShareBarsSvg,
  type ShareComparison,
} from './html-charts.js'
import { renderFindingsTable, renderRecordsTable, renderTestsTable } from './html-tables.js'
import type { CheckReport, DriftTestResult } from './types.js'

const CDF_LIMIT = 12

function renderHeader(report: CheckReport): string {
  const { batch, reference } = report
  const items = [
    metaItem('Batch', `<code>${escapeHtml(batch.path)}</code> · ${formatCount(batch.rows)} rows`, 'wide'),
    metaItem(
      'Reference',
      `<code>${escapeHtml(reference.path)}</code> · ${formatCount(reference.rows)} rows`,
      'wide',
    ),
    metaItem('Schema', escapeHtml(report.schema.path ?? report.schema.origin)),
    metaItem('α (false discovery rate)', escapeHtml(String(report.params.alpha))),
    metaItem('Tests', formatCount(report.summary.tests)),
    metaItem('Tool', `${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}`),
    metaItem(
      'Checked',
      `<time datetime="${escapeHtml(report.createdAt)}">${escapeHtml(report.createdAt)}</time>`,
    ),
  ]
  return masthead('batch check: schema and drift', batch.path, items)
}

function renderVerdict(report: CheckReport): string {
  const { summary } = report
  const tone: Severity | 'clean' = summary.worstSeverity ?? 'clean'
  const drift = summary.drifted
    ? `<strong>Drift: ${formatCount(summary.significantTests)} of ${formatCount(summary.tests)} tests significant</strong> at α = ${escapeHtml(String(report.params.alpha))} after Benjamini–Hochberg`
    : `<strong>No drift</strong>: none of ${formatCount(summary.tests)} tests significant at α = ${escapeHtml(String(report.params.alpha))}`
  const schema =
    summary.byKind.schema || summary.schemaRows
      ? `; ${formatCount(summary.byKind.schema ?? 0)} schema findings, ${formatCount(summary.schemaRows)} rows breaking the schema`
      : '; the batch follows the schema'
  return `<p class="verdict verdict-${tone}" role="status">${drift}${schema}.</p>`
}

function card(label: string, value: string, note: string, className = ''): string {
  return `<div class="card ${className}"><p class="card-label">${label}</p><p class="card-value">${value}</p><p class="card-note">${note}</p></div>`
}

function renderCards(report: CheckReport): string {
  const { summary, batch } = report
  return `<div class="cards">${[
    card('Tests', formatCount(summary.tests), 'features, labels, text, sources, MMD'),
    card(
      'Significant',
      formatCount(summary.significantTests),
      `q ≤ ${escapeHtml(String(report.params.alpha))}`,
      summary.drifted ? 'card-flagged' : '',
    ),
    card('High', formatCount(summary.bySeverity.high), 'dataset-level findings', 'card-high'),
    card('Medium', formatCount(summary.bySeverity.medium), 'dataset-level findings', 'card-medium'),
    card(
      'Schema rows',
      formatCount(summary.schemaRows),
      `${formatPercent(summary.schemaRows, batch.rows)} of the batch`,
      'card-low',
    ),
  ].join('')}</div>`
}

function renderCdfs(tests: DriftTestResult[]): string {
  const plotted = tests
    .filter((test) => test.test === 'ks' && test.source === undefined && test.details?.cdf)
    .sort((a, b) => a.qValue - b.qValue || b.statistic - a.statistic)
    .slice(0, CDF_LIMIT)
  if (plotted.length === 0) return ''
  const figures = plotted.map((test) => {
    const caption = `${test.column}: KS ${test.statistic}, q ${test.qValue.toPrecision(2)}${test.severity ? ` · ${test.severity}` : ''}`
    return `<figure>${renderCdfSvg(test.details!.cdf as CdfCurves, `CDFs of ${test.column}`)}<figcaption>${escapeHtml(caption)}</figcaption></figure>`
  })
  const legend =
    '<ul class="legend"><li class="key key-reference">reference</li><li class="key key-batch">batch</li></ul>'
  return section(
    'cdfs',
    'Feature distributions',
    `Cumulative distributions of the ${plotted.length} numeric features with the smallest q-values.`,
    `<div class="cdf-grid">${figures.join('')}</div>${legend}`,
  )
}

function shareSection(id: string, title: string, lead: string, test: DriftTestResult | undefined): string {
  const details = test?.details as
    | { categories?: string[]; referenceShares?: number[]; batchShares?: number[] }
    | undefined
  if (!test || !details?.categories) return ''
  const shares: ShareComparison = {
    categories: details.categories,
    referenceShares: details.referenceShares ?? [],
    batchShares: details.batchShares ?? [],
  }
  const legend =
    '<ul class="legend"><li class="key key-reference">reference</li><li class="key key-batch">batch</li></ul>'
  const note = `<p class="small">${escapeHtml(test.explanation)} (q ${test.qValue.toPrecision(2)})</p>`
  return section(
    id,
    title,
    lead,
    `<div class="chart-wrap">${renderShareBarsSvg(shares, title)}</div>${legend}${note}`,
  )
}

function renderText(tests: DriftTestResult[]): string {
  const bursts = tests.find((test) => test.test === 'token-burst' && test.source === undefined)
  const listed = (bursts?.details?.bursts ?? []) as {
    token: string
    batchShare: number
    referenceShare: number
    pValue: number
  }[]
  if (!bursts) return ''
  const rows = listed
    .map(
      (burst) =>
        `<tr><th scope="row"><code>${escapeHtml(truncate(burst.token, 40))}</code></th><td class="num">${formatPercent(burst.batchShare, 1)}</td>` +
        `<td class="num">${formatPercent(burst.referenceShare, 1)}</td><td class="num">${burst.pValue.toPrecision(2)}</td></tr>`,
    )
    .join('')
  const table = rows
    ? `<div class="table-wrap"><table class="data compact"><caption>Tokens over-represented in the batch</caption><thead><tr><th scope="col">Token</th><th scope="col" class="num">Batch texts</th><th scope="col" class="num">Reference texts</th><th scope="col" class="num">p (one token)</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : '<p class="muted">No token is over-represented.</p>'
  return section('text', 'Text', escapeHtml(bursts.explanation), table)
}

const TOP_COLUMNS = 12
/** Findings listed open; more than this many are folded away behind their count. */
const OPEN_FINDINGS = 10

function renderColumns(features: DriftTestResult[], shape: ImageShape | undefined): string {
  if (features.length === 0) return ''
  const map = shape ? renderToString(h(DriftHeatMap, { tests: features, shape })) : ''
  return section(
    'columns',
    'Columns',
    shape
      ? 'How far each pixel&#39;s distribution moved between the reference and the batch, then every column, the most shifted first.'
      : 'Every numeric column, the most shifted first, with its reference (grey) and batch (blue) distributions.',
    map + renderToString(h(ColumnSummary, { tests: features, topCount: TOP_COLUMNS })),
  )
}

function folded(summary: string, body: string, open: boolean): string {
  return `<details${open ? ' open' : ''}><summary>${summary}</summary>${body}</details>`
}

/**
 * Renders a check report as one self-contained HTML page (inline CSS and SVG, no script, no network): verdict, a
 * per-pixel heat map for image data, columns by how far they shifted with the drift share, findings, label
 * priors, source mix, token bursts, every test (folded) and rows breaking the schema.
 */
export function renderCheckHtml(report: CheckReport): string {
  const overall = report.tests.filter((test) => test.source === undefined)
  const features = overall.filter((test) => test.target === 'feature' && test.column !== undefined)
  const shape = inferImageShape(
    features.map((test) => test.column ?? ''),
    report.batch.imageShape,
  )
  const findings = report.findings.length
  const body = [
    renderVerdict(report),
    renderCards(report),
    renderColumns(features, shape),
    section(
      'findings',
      'Findings',
      'Significant drift and schema problems of the batch as a whole, worst first.',
      folded(
        `${formatCount(findings)} finding${findings === 1 ? '' : 's'}`,
        renderFindingsTable(report.findings),
        findings <= OPEN_FINDINGS,
      ),
    ),
    shape ? '' : renderCdfs(report.tests),
    shareSection(
      'labels',
      'Label priors',
      'Share of each class in the reference and in the batch.',
      overall.find((test) => test.test === 'label-prior'),
    ),
    shareSection(
      'sources',
      'Sources',
      'Share of rows from each source.',
      overall.find((test) => test.test === 'source-mix'),
    ),
    renderText(report.tests),
    section(
      'tests',
      'All tests',
      'Every test with its p-value, Benjamini–Hochberg q-value and effect sizes; significant first.',
      folded(`${formatCount(report.tests.length)} tests`, renderTestsTable(report.tests), false),
    ),
    section(
      'rows',
      'Rows breaking the schema',
      '',
      renderRecordsTable(report.records, report.summary.schemaRows),
    ),
  ].join('\n')
  return renderPage({
    title: `poisonguard check — ${report.batch.path}`,
    header: renderHeader(report),
    main: body,
    generator: { ...report.tool, createdAt: report.createdAt },
    css: CHECK_CSS,
  })
}
