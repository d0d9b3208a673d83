import type { ScanReport } from '../domain/index.js'
import { renderHistogramSvg } from './html-charts.js'
import { formatCount, formatScore } from './html-format.js'
import { renderTopRecords } from './html-records.js'
import { REPORT_SCRIPT } from './html-script.js'
import {
  renderBreakdownTable,
  renderDetectorTable,
  renderHeader,
  renderKindTable,
  renderSummaryCards,
  renderVerdict,
  renderWarnings,
} from './html-sections.js'
import { buildSuspicionHistogram, type SuspicionHistogram, selectTopFlagged } from './html-stats.js'
import { renderPage, section } from './page.js'

export { encodeGrayscalePng } from './png.js'

/** Optional inputs the JSON report does not carry: previews of records and how many to list. */
export interface HtmlReportExtras {
  /** Grayscale thumbnails for image datasets: returns PNG bytes for a row index, or undefined. */
  thumbnail?: (row: number) => Uint8Array | undefined
  /** Text snippets for text datasets. */
  text?: (row: number) => string | undefined
  /** How many top flagged records to show (default 100). */
  topCount?: number
  /** The suspicion at which records are flagged, drawn on the histogram; defaults to the lowest flagged suspicion. */
  flagThreshold?: number
}

const DEFAULT_TOP_COUNT = 100
const HISTOGRAM_BINS = 20
const LABEL_LIMIT = 50
const SOURCE_LIMIT = 30

function renderHistogramTable(histogram: SuspicionHistogram): string {
  const rows: string[] = []
  for (let bin = 0; bin < histogram.binCount; bin++) {
    const range = `${(bin / histogram.binCount).toFixed(2)}–${((bin + 1) / histogram.binCount).toFixed(2)}`
    rows.push(
      `<tr><th scope="row">${range}</th><td class="num">${formatCount(histogram.total[bin])}</td><td class="num">${formatCount(histogram.flagged[bin])}</td></tr>`,
    )
  }
  return [
    '<details><summary>Histogram as a table</summary><div class="table-wrap"><table class="data compact">',
    '<caption>Records per suspicion bin</caption><thead><tr><th scope="col">Suspicion</th>',
    '<th scope="col" class="num">Records</th><th scope="col" class="num">Flagged</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody></table></div></details>`,
  ].join('')
}

function renderDistribution(histogram: SuspicionHistogram, flagThreshold: number | undefined): string {
  const threshold =
    flagThreshold !== undefined
      ? { value: flagThreshold, label: 'flag threshold' }
      : histogram.minFlaggedSuspicion !== undefined
        ? { value: histogram.minFlaggedSuspicion, label: 'lowest flagged' }
        : undefined
  const legend = [
    '<ul class="legend"><li class="key">not flagged</li><li class="key key-flagged">flagged</li>',
    threshold
      ? `<li class="key key-threshold">${threshold.label} (${formatScore(threshold.value)})</li>`
      : '',
    '</ul>',
  ].join('')
  return section(
    'distribution',
    'Suspicion distribution',
    'Fused suspicion of every record in [0,1]; calibrated, so it is comparable across datasets.',
    `<div class="chart-wrap">${renderHistogramSvg(histogram, threshold)}</div>${legend}` +
      renderHistogramTable(histogram),
  )
}

function renderNav(hasSources: boolean): string {
  const links: [string, string][] = [
    ['summary', 'Summary'],
    ['distribution', 'Distribution'],
    ['detectors', 'Detectors'],
    ['labels', 'Labels'],
    ['kinds', 'Findings'],
    ...(hasSources ? ([['sources', 'Sources']] as [string, string][]) : []),
    ['records', 'Flagged records'],
  ]
  const items = links.map(([id, text]) => `<li><a href="#${id}">${text}</a></li>`).join('')
  return `<nav class="toc" aria-label="Sections"><div class="wrap"><ul>${items}</ul></div></nav>`
}

/**
 * Renders a scan report as one self-contained HTML document (inline CSS, SVG charts and data-URI thumbnails, no
 * network access); only aggregates and the top flagged records are rendered, so size stays bounded for any row count.
 */
export function renderHtmlReport(report: ScanReport, extras: HtmlReportExtras = {}): string {
  const recordCount = report.records.length
  const histogram = buildSuspicionHistogram(report.records, HISTOGRAM_BINS)
  const topRows = selectTopFlagged(report.records, extras.topCount ?? DEFAULT_TOP_COUNT)
  const flaggedCount = report.records.reduce((count, record) => count + (record.flagged ? 1 : 0), 0)
  const { summary } = report
  const hasSources = Object.keys(summary.bySource).length > 0
  const title = `poisonguard report — ${report.dataset.path}`
  const body = [
    '<div id="summary">',
    renderVerdict(report, recordCount),
    renderWarnings(report.dataset.warnings),
    renderSummaryCards(report, recordCount),
    '</div>',
    renderDistribution(histogram, extras.flagThreshold),
    section('detectors', 'Detectors', '', renderDetectorTable(report.detectors)),
    '<div class="grid-2">',
    section(
      'labels',
      'Flagged by label',
      'Bar length is the class size; the red part is flagged.',
      renderBreakdownTable(summary.byLabel, {
        heading: 'Label',
        caption: 'Rows and flagged records per label',
        limit: LABEL_LIMIT,
        naturalOrder: true,
      }),
    ),
    section('kinds', 'Findings by kind', '', renderKindTable(summary.byKind)),
    '</div>',
    hasSources
      ? section(
          'sources',
          'Flagged by source',
          'Where records came from; a source with a high flagged share may be compromised.',
          renderBreakdownTable(summary.bySource, {
            heading: 'Source',
            caption: 'Rows and flagged records per source',
            limit: SOURCE_LIMIT,
            naturalOrder: false,
          }),
        )
      : '',
    section(
      'records',
      'Flagged records',
      '',
      renderTopRecords(report.records, topRows, flaggedCount, extras),
    ),
  ].join('\n')
  return renderPage({
    title,
    header: renderHeader(report),
    nav: renderNav(hasSources),
    main: body,
    generator: { ...report.tool, createdAt: report.createdAt },
    script: REPORT_SCRIPT,
  })
}
