import { Buffer } from 'node:buffer'
import type { Finding, RecordReport, Severity } from '../domain/index.js'
import { escapeHtml, formatCount, formatScore, truncate } from './html-format.js'
import { readPngSize } from './png.js'

/** Per-row previews the caller can supply; both are called only for the rows shown. */
export interface RecordPreviews {
  thumbnail?: (row: number) => Uint8Array | undefined
  text?: (row: number) => string | undefined
}

const SNIPPET_CHARS = 300
const EXPLANATION_CHARS = 600
const THUMBNAIL_MAX_SIDE = 64
const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 }

function byScoreDescending(a: Finding, b: Finding): number {
  return b.score - a.score
}

function renderThumbnail(png: Uint8Array, record: RecordReport): string {
  const size = readPngSize(png)
  let dimensions = ''
  if (size && size.width > 0 && size.height > 0) {
    const shrink = Math.min(1, THUMBNAIL_MAX_SIDE / Math.max(size.width, size.height))
    dimensions = ` width="${Math.round(size.width * shrink)}" height="${Math.round(size.height * shrink)}"`
  }
  const label = record.label === undefined ? '' : `, labelled ${record.label}`
  return `<img class="thumb" src="data:image/png;base64,${Buffer.from(png).toString('base64')}"${dimensions} alt="${escapeHtml(`Image of record ${record.id}${label}`)}">`
}

function renderPreview(row: number, record: RecordReport, previews: RecordPreviews): string {
  const parts: string[] = []
  const png = previews.thumbnail?.(row)
  if (png && png.length > 0) parts.push(renderThumbnail(png, record))
  const text = previews.text?.(row)
  if (text !== undefined && text !== '') {
    const snippet = truncate(text.replace(/\s+/g, ' ').trim(), SNIPPET_CHARS)
    parts.push(`<p class="snippet">${escapeHtml(snippet)}</p>`)
  }
  return parts.length > 0 ? parts.join('') : '<span class="muted">–</span>'
}

function renderFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return '<span class="muted">no detector findings</span>'
  const items = findings.map(
    (finding) =>
      `<li><span class="kind">${escapeHtml(finding.kind)}</span> <code class="detector">${escapeHtml(finding.detector)}</code> ` +
      `<span class="finding-score">${formatScore(finding.score)}</span>` +
      `<span class="explanation">${escapeHtml(truncate(finding.explanation, EXPLANATION_CHARS))}</span></li>`,
  )
  return `<ul class="findings">${items.join('')}</ul>`
}

function renderRecordRow(
  rank: number,
  row: number,
  record: RecordReport,
  previews: RecordPreviews | undefined,
) {
  const findings = [...record.findings].sort(byScoreDescending)
  const suggested = findings.find((finding) => finding.suggestedLabel !== undefined)?.suggestedLabel
  const severity = record.severity
  const suspicion = Number.isFinite(record.suspicion) ? record.suspicion : 0
  return [
    `<tr data-severity="${severity ?? 'none'}"><td class="num" data-value="${rank}">${rank}</td>`,
    `<th scope="row" data-value="${escapeHtml(record.id)}"><code class="record-id">${escapeHtml(truncate(record.id, 40))}</code>`,
    `<span class="row-number">row ${formatCount(row + 1)}</span></th>`,
    `<td>${record.label === undefined ? '<span class="muted">–</span>' : escapeHtml(truncate(record.label, 40))}</td>`,
    `<td>${suggested === undefined ? '<span class="muted">–</span>' : `<span class="suggested">${escapeHtml(truncate(suggested, 40))}</span>`}</td>`,
    `<td data-value="${severity ? SEVERITY_RANK[severity] : 0}">${severity ? `<span class="badge sev-${severity}">${severity}</span>` : '<span class="muted">–</span>'}</td>`,
    `<td class="num" data-value="${suspicion}"><span class="suspicion">${formatScore(suspicion)}</span>`,
    `<span class="meter" aria-hidden="true"><span style="width:${Math.round(Math.min(1, Math.max(0, suspicion)) * 100)}%"></span></span></td>`,
    previews ? `<td class="preview">${renderPreview(row, record, previews)}</td>` : '',
    `<td>${renderFindings(findings)}</td></tr>`,
  ].join('')
}

function renderControls(shown: number): string {
  return [
    '<div class="controls" id="record-controls" hidden>',
    '<label>Filter <input type="search" id="record-search" placeholder="id, label, detector, explanation…"></label>',
    '<label>Severity <select id="record-severity"><option value="">all</option>',
    '<option value="high">high</option><option value="medium">medium</option><option value="low">low</option></select></label>',
    `<span class="muted small" id="record-count" aria-live="polite">${formatCount(shown)} shown</span></div>`,
  ].join('')
}

/** The table of the most suspicious flagged records, already sorted by suspicion (most suspicious first). */
export function renderTopRecords(
  records: readonly RecordReport[],
  topRows: Int32Array,
  flaggedCount: number,
  previews: RecordPreviews | undefined,
): string {
  if (topRows.length === 0)
    return '<p class="muted">No records were flagged, so there is nothing to review.</p>'
  const hasPreview =
    previews !== undefined && (previews.thumbnail !== undefined || previews.text !== undefined)
  const rows: string[] = []
  for (let rank = 0; rank < topRows.length; rank++) {
    const row = topRows[rank]
    rows.push(renderRecordRow(rank + 1, row, records[row], hasPreview ? previews : undefined))
  }
  const note =
    flaggedCount > topRows.length
      ? `The ${formatCount(topRows.length)} most suspicious of ${formatCount(flaggedCount)} flagged records; the JSON report lists all of them.`
      : `All ${formatCount(flaggedCount)} flagged records, most suspicious first.`
  const sortable = (label: string, type: 'number' | 'text', extra = ''): string =>
    `<th scope="col" data-sort="${type}"${extra}>${label}</th>`
  return [
    `<p class="muted">${note}</p>`,
    renderControls(topRows.length),
    '<div class="table-wrap"><table class="data records" id="top-records">',
    '<caption>Flagged records by suspicion</caption><thead><tr>',
    sortable('#', 'number', ' class="num" aria-sort="ascending"'),
    sortable('Record', 'text'),
    sortable('Label', 'text'),
    '<th scope="col">Suggested</th>',
    sortable('Severity', 'number'),
    sortable('Suspicion', 'number', ' class="num"'),
    hasPreview ? '<th scope="col">Preview</th>' : '',
    `<th scope="col">Findings</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`,
  ].join('')
}
