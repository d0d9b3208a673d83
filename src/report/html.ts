import { Buffer } from 'node:buffer'
import { h } from 'preact'
import { renderToString } from 'preact-render-to-string'
import { channelCount, type ImageShape } from '../data/image-shape.js'
import type { ScanReport } from '../domain/index.js'
import { buildAttackViews } from './attacks.js'
import { flaggedRecordsCsv } from './flagged-csv.js'
import { detectorScoreHistograms, groupFlaggedRecords } from './groups.js'
import { renderHistogramSvg } from './html-charts.js'
import { formatCount, formatScore } from './html-format.js'
import {
  renderBreakdownTable,
  renderDetectorTable,
  renderHeader,
  renderKindTable,
  renderSummaryCards,
  renderWarnings,
} from './html-sections.js'
import { buildSuspicionHistogram, type SuspicionHistogram } from './html-stats.js'
import { renderPage, section } from './page.js'
import { encodeImagePng } from './png.js'
import type { RecordEvidence } from './views/evidence.js'
import { DetectorHistograms, FindingGroups } from './views/groups.js'
import { VerdictSection } from './views/verdict.js'

export { encodeGrayscalePng } from './png.js'

/** Optional inputs the JSON report does not carry: pictures and texts of records. */
export interface HtmlReportExtras {
  /** Thumbnails for image datasets: returns PNG bytes for a row index, or undefined. */
  thumbnail?: (row: number) => Uint8Array | undefined
  /**
   * Pixels of image records in [0,1] (or [0,255]), row-major (colour interleaved per pixel, see `ImageShape`), to
   * draw the average image of an attack's records.
   */
  image?: ImageShape & { pixels: (row: number) => Float32Array }
  /** Text snippets for text datasets. */
  text?: (row: number) => string | undefined
  /** How many records each group of findings lists (default 50); the CSV download holds all flagged ones. */
  topCount?: number
  /** The suspicion at which records are flagged, drawn on the histogram; defaults to the lowest flagged suspicion. */
  flagThreshold?: number
}

const DEFAULT_LIST_LIMIT = 50
/** Flagged records the CSV download holds at most, the most suspicious, so the page stays small. */
const CSV_LIMIT = 10_000
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
  return (
    '<h3 id="distribution">Fused suspicion of every record</h3>' +
    `<div class="chart-wrap">${renderHistogramSvg(histogram, threshold)}</div>${legend}` +
    renderHistogramTable(histogram)
  )
}

function renderNav(hasSources: boolean): string {
  const links: [string, string][] = [
    ['verdict', 'Verdict'],
    ['findings', 'Findings'],
    ['scores', 'Scores'],
    ['detectors', 'Detectors'],
    ['labels', 'Labels'],
    ...(hasSources ? ([['sources', 'Sources']] as [string, string][]) : []),
  ]
  const items = links.map(([id, text]) => `<li><a href="#${id}">${text}</a></li>`).join('')
  return `<nav class="toc" aria-label="Sections"><div class="wrap"><ul>${items}</ul></div></nav>`
}

function dataUrl(mediaType: string, bytes: Uint8Array | string): string {
  return `data:${mediaType};base64,${Buffer.from(bytes).toString('base64')}`
}

/** Averages at most this many images, so an attack on a huge dataset costs a bounded time to draw. */
const AVERAGE_LIMIT = 1_000

function averagePixels(image: NonNullable<HtmlReportExtras['image']>, rows: Int32Array): Float32Array {
  const sum = new Float32Array(image.width * image.height * channelCount(image))
  const used = rows.subarray(0, AVERAGE_LIMIT)
  for (const row of used) {
    const pixels = image.pixels(row)
    for (let index = 0; index < sum.length; index++) sum[index] += pixels[index]
  }
  for (let index = 0; index < sum.length; index++) sum[index] /= Math.max(1, used.length)
  return sum
}

/** The extras as evidence the views draw: PNG bytes become data URLs. */
export function recordEvidenceOf(extras: HtmlReportExtras): RecordEvidence {
  const { image, thumbnail } = extras
  return {
    imageShape: image ? { width: image.width, height: image.height } : undefined,
    thumbnail: thumbnail
      ? (row) => {
          const png = thumbnail(row)
          return png && png.length > 0 ? dataUrl('image/png', png) : undefined
        }
      : undefined,
    averageImage: image
      ? (rows) =>
          rows.length === 0
            ? undefined
            : dataUrl('image/png', encodeImagePng(averagePixels(image, rows), image))
      : undefined,
    text: extras.text,
  }
}

/**
 * Renders a scan report as one self-contained HTML document (inline CSS, SVG charts and data-URI pictures, no
 * script, no network access): the verdict with each attack's picture first, then the flagged records grouped by
 * cause, score histograms and the breakdowns. Only aggregates and a bounded number of records per group are
 * rendered, so size stays bounded for any row count.
 */
export function renderHtmlReport(report: ScanReport, extras: HtmlReportExtras = {}): string {
  const recordCount = report.records.length
  const histogram = buildSuspicionHistogram(report.records, HISTOGRAM_BINS)
  const { summary } = report
  const hasSources = Object.keys(summary.bySource).length > 0
  const evidence = recordEvidenceOf(extras)
  const attacks = buildAttackViews(report)
  const groups = groupFlaggedRecords(report, attacks)
  const csv = flaggedRecordsCsv(report, CSV_LIMIT)
  const csvHref = dataUrl('text/csv;charset=utf-8', csv.text)
  const body = [
    renderToString(
      h(VerdictSection, { report, attacks, groups, evidence, csv: { href: csvHref, records: csv.records } }),
    ),
    renderWarnings(report.dataset.warnings),
    renderSummaryCards(report, recordCount),
    section(
      'findings',
      'Findings',
      'Flagged records grouped by cause: the records of one attack, or of one detector&#39;s finding about one label, together. Open a group to see its records.',
      renderToString(
        h(FindingGroups, {
          report,
          groups,
          attacks,
          evidence,
          listLimit: extras.topCount ?? DEFAULT_LIST_LIMIT,
        }),
      ),
    ),
    section(
      'scores',
      'Scores',
      'How each detector scored the records it reported on (0 left, 1 right; red: flagged in the end), and the fused suspicion of every record, calibrated so it is comparable across datasets.',
      renderToString(h(DetectorHistograms, { histograms: detectorScoreHistograms(report) })) +
        renderDistribution(histogram, extras.flagThreshold),
    ),
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
  ].join('\n')
  return renderPage({
    title: `poisonguard report — ${report.dataset.path}`,
    header: renderHeader(report),
    nav: renderNav(hasSources),
    main: body,
    generator: { ...report.tool, createdAt: report.createdAt },
  })
}
