import type { RecordReport, Severity } from '../domain/index.js'
import { escapeHtml, formatCount, truncate } from '../report/html-format.js'
import type { CheckFinding, DriftTestResult } from './types.js'

const FINDING_LIMIT = 200
const TEST_LIMIT = 300
const RECORD_LIMIT = 100

function badge(severity: Severity | null): string {
  return severity ? `<span class="badge sev-${severity}">${severity}</span>` : '<span class="muted">–</span>'
}

function pValue(value: number): string {
  if (value === 0) return '0'
  return value < 1e-4 ? value.toExponential(1) : value.toPrecision(2)
}

function more(shown: number, total: number, what: string): string {
  return total > shown
    ? `<p class="muted small">Showing ${formatCount(shown)} of ${formatCount(total)} ${what}; the JSON report has all of them.</p>`
    : ''
}

/** Dataset-level findings: severity, kind, where, and what. */
export function renderFindingsTable(findings: readonly CheckFinding[]): string {
  if (findings.length === 0)
    return '<p class="muted">No findings: no significant drift, and the batch follows the schema.</p>'
  const rows = findings.slice(0, FINDING_LIMIT).map((finding) => {
    const where = [
      finding.column ? `<code>${escapeHtml(truncate(finding.column, 40))}</code>` : '',
      finding.source ? `source ${escapeHtml(truncate(finding.source, 40))}` : '',
    ]
      .filter((part) => part !== '')
      .join(' · ')
    return (
      `<tr><td>${badge(finding.severity)}</td><td><span class="kind">${escapeHtml(finding.kind)}</span></td>` +
      `<td>${where || '<span class="muted">dataset</span>'}</td><td>${escapeHtml(truncate(finding.explanation, 400))}</td></tr>`
    )
  })
  return [
    '<div class="table-wrap"><table class="data"><caption>Dataset-level findings</caption><thead><tr>',
    '<th scope="col">Severity</th><th scope="col">Kind</th><th scope="col">Where</th><th scope="col">Finding</th>',
    `</tr></thead><tbody>${rows.join('')}</tbody></table></div>${more(rows.length, findings.length, 'findings')}`,
  ].join('')
}

function effects(test: DriftTestResult): string {
  return Object.entries(test.effects)
    .map(
      ([name, value]) =>
        `<span class="chip"><span class="chip-key">${escapeHtml(name)}</span>=${escapeHtml(String(value))}</span>`,
    )
    .join(' ')
}

/** Every test, significant and smallest q first. */
export function renderTestsTable(tests: readonly DriftTestResult[]): string {
  if (tests.length === 0)
    return '<p class="muted">No tests ran: the batch and the reference share no columns.</p>'
  const sorted = [...tests].sort((a, b) => a.qValue - b.qValue || a.pValue - b.pValue)
  const rows = sorted
    .slice(0, TEST_LIMIT)
    .map(
      (test) =>
        `<tr><th scope="row"><code>${escapeHtml(truncate(test.id, 60))}</code></th><td>${escapeHtml(test.test)}</td>` +
        `<td class="small">${escapeHtml(test.method)}</td><td class="num">${escapeHtml(String(test.statistic))}</td>` +
        `<td class="num">${pValue(test.pValue)}</td><td class="num">${pValue(test.qValue)}</td>` +
        `<td class="params">${effects(test)}</td><td>${badge(test.severity)}</td></tr>`,
    )
  return [
    '<div class="table-wrap"><table class="data compact"><caption>All drift tests</caption><thead><tr>',
    '<th scope="col">Test</th><th scope="col">Kind</th><th scope="col">Method</th><th scope="col" class="num">Statistic</th>',
    '<th scope="col" class="num">p</th><th scope="col" class="num">q</th><th scope="col">Effect sizes</th><th scope="col">Severity</th>',
    `</tr></thead><tbody>${rows.join('')}</tbody></table></div>${more(rows.length, tests.length, 'tests')}`,
  ].join('')
}

/** The first rows that break the schema, with why. */
export function renderRecordsTable(records: readonly RecordReport[], total: number): string {
  if (records.length === 0) return '<p class="muted">Every row follows the schema.</p>'
  const rows = records.slice(0, RECORD_LIMIT).map((record) => {
    const reasons = record.findings
      .map((finding) => `<li>${escapeHtml(truncate(finding.explanation, 200))}</li>`)
      .join('')
    return `<tr><th scope="row" class="record-id">${escapeHtml(truncate(record.id, 60))}</th><td>${badge(record.severity)}</td><td><ul class="findings">${reasons}</ul></td></tr>`
  })
  return [
    '<div class="table-wrap"><table class="data compact"><caption>Rows breaking the schema</caption><thead><tr>',
    '<th scope="col">Id</th><th scope="col">Severity</th><th scope="col">Why</th>',
    `</tr></thead><tbody>${rows.join('')}</tbody></table></div>${more(rows.length, total, 'rows')}`,
  ].join('')
}
