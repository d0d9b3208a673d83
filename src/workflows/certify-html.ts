import { h } from 'preact'
import { renderToString } from 'preact-render-to-string'
import { escapeHtml, formatCount, formatPercent } from '../report/html-format.js'
import { masthead, metaItem, renderPage, section } from '../report/page.js'
import { CertifiedCurve, CurveTable } from '../report/views/certificates.js'
import type { CertifyReport } from './certify-file.js'

const RECORD_LIMIT = 200

const CERTIFY_CSS = `
.curve{width:100%;max-width:640px;height:auto;display:block}
.curve text{font-size:11px;fill:var(--ink-2)}
.curve .grid{stroke:var(--line);stroke-width:1}
.curve .step{fill:none;stroke:var(--flag);stroke-width:2}
.curve .median{stroke:#98a2b3;stroke-dasharray:4 3}
`

function renderHeader(report: CertifyReport): string {
  const { model, data } = report
  const items = [
    metaItem('Data', `<code>${escapeHtml(data.path)}</code> · ${formatCount(data.rows)} records`, 'wide'),
    metaItem('Ensemble', escapeHtml(`${model.scheme} · ${model.partitions} partitions · ${model.learner}`)),
    metaItem('Members', formatCount(model.members)),
    metaItem('Tool', `${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}`),
  ]
  return masthead('certified predictions', data.path, items)
}

function renderRecords(report: CertifyReport): string {
  const weakest = [...report.records].sort((a, b) => a.certificate - b.certificate).slice(0, RECORD_LIMIT)
  const rows = weakest.map(
    (record) =>
      `<tr><td>${escapeHtml(record.id)}</td><td>${escapeHtml(record.label ?? '')}</td><td>${escapeHtml(record.predicted)}</td>` +
      `<td>${record.votes} / ${escapeHtml(record.runnerUp)} ${record.runnerUpVotes}</td><td>${record.certificate}</td>` +
      `<td>${record.correct === null ? '' : record.correct ? 'yes' : '<span class="flag">no</span>'}</td></tr>`,
  )
  return `<table class="data"><thead><tr><th>id</th><th>label</th><th>predicted</th><th>votes / runner-up</th><th>certificate</th><th>correct</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

/** The certification as one self-contained page: summary, the certified-accuracy curve, the weakest records. */
export function renderCertifyHtml(report: CertifyReport, createdAt: string): string {
  const labelled = report.data.labelled
  const curve = renderToString(
    h(CertifiedCurve, {
      curve: report.curve,
      medianRadius: report.medianRadius,
      title: 'Certified accuracy by radius',
    }),
  )
  const table = renderToString(h(CurveTable, { curve: report.curve, total: labelled }))
  const lead =
    `Clean accuracy ${formatPercent(Math.round(report.cleanAccuracy * labelled), labelled)} on ${formatCount(labelled)} labelled records; ` +
    `the median record is certified against ${report.medianRadius} poisoned training records (inserted, deleted or relabelled).`
  const main = [
    section('curve', 'Certified accuracy', escapeHtml(lead), `${curve}${table}`),
    section(
      'records',
      'Least certified records',
      `The ${Math.min(RECORD_LIMIT, report.records.length)} records a poisoner needs the fewest training records to change; every record is in the JSON.`,
      renderRecords(report),
    ),
    ...(report.warnings.length > 0
      ? [
          section(
            'warnings',
            'Warnings',
            '',
            `<ul>${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`,
          ),
        ]
      : []),
  ].join('\n')
  return renderPage({
    title: `poisonguard certify: ${report.data.path}`,
    header: renderHeader(report),
    main,
    css: CERTIFY_CSS,
    generator: { name: report.tool.name, version: report.tool.version, createdAt },
  })
}
