import type { AnnotatorEntry, CrowdReport, GroupEntry } from '../crowd/index.js'
import { escapeHtml, formatCount, formatPercent } from '../report/html-format.js'
import { masthead, metaItem, renderPage, section } from '../report/page.js'

/** Annotators whose confusion matrices are drawn: the flagged first, then the least reliable. */
const MATRIX_LIMIT = 60
const TABLE_LIMIT = 500
const FINDING_LIMIT = 200
const GRAPH_SIZE = 520

const CROWD_CSS = `
.matrices{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:14px}
.matrix{border:1px solid var(--line);border-radius:10px;padding:10px;background:var(--panel)}
.matrix h3{margin:0 0 6px;font-size:14px;overflow-wrap:anywhere}
.matrix table{border-collapse:collapse;font-size:11px;font-variant-numeric:tabular-nums}
.matrix td,.matrix th{padding:2px 5px;text-align:right}
.flag{color:var(--high);font-weight:600}
.graph{width:100%;max-width:${GRAPH_SIZE}px;height:auto;display:block}
.graph .edge{stroke:var(--flag);stroke-width:1.5;opacity:.7}
.graph .node{fill:#98a2b3}.graph .node-flagged{fill:var(--flag)}
.graph text{font-size:10px;fill:var(--ink-2)}
`

function card(label: string, value: string, note: string, className = ''): string {
  return `<div class="card ${className}"><p class="card-label">${label}</p><p class="card-value">${value}</p><p class="card-note">${note}</p></div>`
}

function renderHeader(report: CrowdReport): string {
  const { input } = report
  const items = [
    metaItem(
      'Answers',
      `<code>${escapeHtml(input.path)}</code> · ${formatCount(input.answers)} answers`,
      'wide',
    ),
    metaItem('Items', formatCount(input.items)),
    metaItem('Annotators', formatCount(input.annotators)),
    metaItem('Classes', escapeHtml(report.classes.join(', '))),
    metaItem('Model', escapeHtml(report.model)),
    metaItem(
      'Suspicious annotators',
      escapeHtml(report.adversaries === 'keep' ? 'kept' : `${report.adversaries.replace('-', ' ')}d`),
    ),
    metaItem('Tool', `${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}`),
  ]
  if (report.gold)
    items.push(
      metaItem(
        'Gold',
        `<code>${escapeHtml(report.gold.path)}</code> · ${formatCount(report.gold.items)} items`,
      ),
    )
  return masthead('crowdsourced labels', input.path, items)
}

function renderCards(report: CrowdReport): string {
  const { summary, input } = report
  return `<div class="cards">${[
    card(
      'Flagged annotators',
      formatCount(summary.flaggedAnnotators),
      `of ${formatCount(input.annotators)}`,
      summary.flaggedAnnotators ? 'card-flagged' : '',
    ),
    card(
      'Colluding groups',
      formatCount(summary.groups),
      'linked by shared wrong answers, copies or bursts',
      summary.groups ? 'card-high' : '',
    ),
    card(
      'Changed items',
      formatCount(summary.changedItems),
      'consensus moved when the flagged were set aside',
      'card-medium',
    ),
    card(
      'Uncertain items',
      formatCount(summary.lowConfidenceItems),
      `${formatPercent(summary.lowConfidenceItems, input.items)} below posterior 0.8`,
      'card-low',
    ),
  ].join('')}</div>`
}

function renderAnnotatorTable(report: CrowdReport): string {
  const rows = [...report.annotators]
    .sort((a, b) => Number(b.flagged) - Number(a.flagged) || a.reliability - b.reliability)
    .slice(0, TABLE_LIMIT)
    .map((entry) => {
      const [lower, upper] = entry.interval
      const gold = entry.gold ? `${entry.gold.right}/${entry.gold.total}` : '—'
      return (
        `<tr><th scope="row">${escapeHtml(entry.annotator)}</th><td>${formatCount(entry.answers)}</td>` +
        `<td>${entry.reliability.toFixed(3)} <small>[${lower.toFixed(3)}, ${upper.toFixed(3)}]</small></td>` +
        `<td>${entry.kappa.toFixed(2)}</td><td>${gold}</td><td>${entry.weight}</td>` +
        `<td${entry.flagged ? ' class="flag"' : ''}>${escapeHtml(entry.reason || 'trusted')}</td></tr>`
      )
    })
  const more =
    report.annotators.length > TABLE_LIMIT
      ? `<p class="lead">The first ${TABLE_LIMIT} are listed; the JSON report has all.</p>`
      : ''
  return (
    '<div class="table-wrap"><table class="data compact"><caption>Annotators</caption><thead><tr>' +
    '<th>Annotator</th><th>Answers</th><th>Reliability [95% interval]</th><th>κ</th><th>Gold</th><th>Weight</th><th>Verdict</th>' +
    `</tr></thead><tbody>${rows.join('')}</tbody></table></div>${more}`
  )
}

function renderMatrix(entry: AnnotatorEntry, classes: readonly string[]): string {
  const head = classes.map((name) => `<th>${escapeHtml(name)}</th>`).join('')
  const body = entry.confusion
    .map((row, k) => {
      const total = row.reduce((sum, value) => sum + value, 0)
      const cells = row.map((value, l) => {
        const share = total > 0 ? value / total : 0
        const hue = k === l ? '22,163,74' : '217,45,32'
        return `<td style="background:rgba(${hue},${(0.85 * share).toFixed(2)})">${value.toFixed(0)}</td>`
      })
      return `<tr><th>${escapeHtml(classes[k])}</th>${cells.join('')}</tr>`
    })
    .join('')
  const title = `${escapeHtml(entry.annotator)}${entry.flagged ? ' <span class="flag">flagged</span>' : ''}`
  return `<div class="matrix"><h3>${title}</h3><table><thead><tr><th>true \\ answer</th>${head}</tr></thead><tbody>${body}</tbody></table></div>`
}

function renderMatrices(report: CrowdReport): string {
  const chosen = [...report.annotators]
    .sort((a, b) => Number(b.flagged) - Number(a.flagged) || a.reliability - b.reliability)
    .slice(0, MATRIX_LIMIT)
  return `<div class="matrices">${chosen.map((entry) => renderMatrix(entry, report.classes)).join('')}</div>`
}

/** The collusion graph: every annotator in a group or flagged on a circle, colluding pairs joined. */
function renderGraph(report: CrowdReport): string {
  const names = [
    ...new Set([
      ...report.groups.flatMap((group) => group.annotators),
      ...report.annotators.filter((a) => a.flagged).map((a) => a.annotator),
    ]),
  ]
  if (names.length === 0) return '<p class="lead">No annotator is linked to another.</p>'
  const centre = GRAPH_SIZE / 2
  const radius = centre - 60
  const position = new Map(
    names.map((name, index) => {
      const angle = (2 * Math.PI * index) / names.length
      return [name, [centre + radius * Math.cos(angle), centre + radius * Math.sin(angle)] as const]
    }),
  )
  const flagged = new Set(report.annotators.filter((a) => a.flagged).map((a) => a.annotator))
  const edges = report.groups.flatMap((group) =>
    group.evidence.map(({ pair: [a, b] }) => {
      const [x1, y1] = position.get(a) ?? [0, 0]
      const [x2, y2] = position.get(b) ?? [0, 0]
      return `<line class="edge" x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}"/>`
    }),
  )
  const nodes = names.map((name) => {
    const [x, y] = position.get(name) ?? [0, 0]
    const className = flagged.has(name) ? 'node node-flagged' : 'node'
    return `<circle class="${className}" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="6"><title>${escapeHtml(name)}</title></circle><text x="${(x + 8).toFixed(1)}" y="${(y + 3).toFixed(1)}">${escapeHtml(name)}</text>`
  })
  return `<svg class="graph" viewBox="0 0 ${GRAPH_SIZE} ${GRAPH_SIZE}" role="img" aria-label="collusion graph">${edges.join('')}${nodes.join('')}</svg>`
}

function renderGroup(group: GroupEntry, index: number): string {
  const pushed = group.pushed
    ? ` Their most common wrong answer: "${escapeHtml(group.pushed.label)}" on items of "${escapeHtml(group.pushed.trueClass)}" (${formatCount(group.pushed.count)} times).`
    : ''
  const rows = group.evidence.map(
    (edge) =>
      `<tr><td>${escapeHtml(edge.pair.join(' – '))}</td><td>${formatCount(edge.shared)}</td><td>${edge.jointWrong.toFixed(1)}</td>` +
      `<td>${edge.expectedJointWrong.toFixed(2)}</td><td>${edge.pValue.toExponential(1)}</td><td>${edge.copiedRun}</td>` +
      `<td>${formatCount(edge.closeInTime)} (${edge.expectedCloseInTime.toFixed(1)} expected)</td><td>${escapeHtml(edge.signals.join(', '))}</td></tr>`,
  )
  return (
    `<h3>Group ${index + 1}: ${escapeHtml(group.annotators.join(', '))}</h3><p>${pushed}</p>` +
    '<div class="table-wrap"><table class="data compact"><caption>Evidence</caption><thead><tr><th>Pair</th><th>Shared items</th>' +
    '<th>Wrong together</th><th>Expected</th><th>p</th><th>Copied run</th><th>Close in time</th><th>Signals</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table></div>`
  )
}

function renderFindings(report: CrowdReport): string {
  if (report.findings.length === 0) return '<p class="lead">Every item has a confident consensus.</p>'
  const rows = report.findings
    .slice(0, FINDING_LIMIT)
    .map(
      (finding) =>
        `<tr><th scope="row">${escapeHtml(finding.item)}</th><td>${escapeHtml(finding.label)}</td><td>${finding.confidence.toFixed(3)}</td><td>${escapeHtml(finding.explanation)}</td></tr>`,
    )
  return (
    '<div class="table-wrap"><table class="data compact"><caption>Items</caption><thead><tr><th>Item</th><th>Consensus</th><th>Posterior</th><th>Why</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table></div>`
  )
}

/** The crowd report as one self-contained HTML page on the shared page shell. */
export function renderCrowdHtml(report: CrowdReport): string {
  const warnings = report.warnings.length
    ? `<div class="verdict notice"><strong>Warnings</strong><ul>${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></div>`
    : ''
  const setAside =
    report.summary.excludedAnnotators + report.summary.downWeightedAnnotators > 0
      ? `${formatCount(report.summary.excludedAnnotators)} annotators were excluded and ${formatCount(report.summary.downWeightedAnnotators)} down-weighted before the final consensus.`
      : 'No annotator was set aside.'
  const main = [
    renderCards(report),
    `<p class="verdict verdict-${report.summary.flaggedAnnotators ? 'high' : 'clean'}" role="status">${setAside}</p>`,
    warnings,
    section(
      'annotators',
      'Annotators',
      'Reliability is the expected share of right answers against the final consensus, with a 95% Wilson interval; κ is agreement beyond chance.',
      renderAnnotatorTable(report),
    ),
    section(
      'collusion',
      'Collusion graph',
      'Flagged annotators in red; a line joins two annotators with evidence of collusion.',
      renderGraph(report),
    ),
    section(
      'groups',
      'Colluding groups',
      '',
      report.groups.map(renderGroup).join('') || '<p class="lead">No colluding group.</p>',
    ),
    section(
      'confusion',
      'Confusion matrices',
      'Expected answers (columns) per true class (rows); the flagged and the least reliable first.',
      renderMatrices(report),
    ),
    section('items', 'Uncertain and changed items', '', renderFindings(report)),
  ].join('\n')
  return renderPage({
    title: `poisonguard crowd: ${report.input.path}`,
    header: renderHeader(report),
    main,
    css: CROWD_CSS,
    generator: { name: report.tool.name, version: report.tool.version, createdAt: new Date().toISOString() },
  })
}
