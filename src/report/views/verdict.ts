import { type ComponentChild, h } from 'preact'
import type { DatasetVerdict, ScanReport } from '../../domain/index.js'
import { type AttackView, fixedByRelabelling } from '../attacks.js'
import type { FindingGroup } from '../groups.js'
import { formatCount, formatPercent, truncate } from '../html-format.js'
import type { RecordEvidence } from './evidence.js'
import { Exemplars, HeatMap, PairMatrix, TriggerPicture } from './pictures.js'

const VERDICT_TONE: Record<DatasetVerdict, string> = {
  poisoned: 'high',
  suspicious: 'medium',
  clean: 'clean',
}
const EXEMPLAR_COUNT = 6

const SUPERSCRIPTS: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
}

function powerOfTen(exponent: number): string {
  return `10${[...String(exponent)].map((char) => SUPERSCRIPTS[char]).join('')}`
}

/** A p-value people can read: `p = 0.003`, `p ≈ 10⁻¹⁰¹`, or `p < 10⁻³⁰⁰` when it underflowed. */
export function formatPValue(pValue: number): string {
  if (!(pValue > 0)) return `p < ${powerOfTen(-300)}`
  if (pValue >= 1e-3) return `p = ${pValue.toPrecision(2)}`
  return `p ≈ ${powerOfTen(Math.round(Math.log10(pValue)))}`
}

function quoteForShell(text: string): string {
  return /^[\w./:@%+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`
}

function siblingPath(path: string, suffix: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))
  const dot = path.lastIndexOf('.')
  return dot > slash + 1 ? `${path.slice(0, dot)}-${suffix}${path.slice(dot)}` : `${path}-${suffix}`
}

/** The commands that act on this verdict: drop the flagged records, or relabel them when labels are the problem. */
export function nextStepCommands(report: ScanReport, attacks: readonly AttackView[]): string[] {
  const path = report.dataset.path
  const input = quoteForShell(path)
  const commands = [`poisonguard scan ${input} --export-clean ${quoteForShell(siblingPath(path, 'clean'))}`]
  if (attacks.some((view) => fixedByRelabelling(view.attack)))
    commands.push(`poisonguard scan ${input} --relabel ${quoteForShell(siblingPath(path, 'relabelled'))}`)
  return commands
}

/** An attack's rows that no earlier attack covers, or all of them when earlier ones cover every row. */
function unseenRows(view: AttackView, earlier: readonly AttackView[]): Int32Array {
  const seen = new Set(earlier.flatMap((other) => Array.from(other.rows)))
  const unseen = view.rows.filter((row) => !seen.has(row))
  return unseen.length > 0 ? unseen : view.rows
}

/** The strongest p-value among the detectors that found the attack, and how many agree. */
function howSure(view: AttackView): string {
  const pValues = [view.attack, ...view.confirmedBy].flatMap((attack) =>
    attack.pValue === undefined ? [] : [attack.pValue],
  )
  const agreeing = view.confirmedBy.length + 1
  const test = pValues.length > 0 ? formatPValue(Math.min(...pValues)) : 'no dataset-level test'
  return agreeing > 1 ? `${test}; ${agreeing} detectors agree` : test
}

function AttackPicture(props: {
  view: AttackView
  report: ScanReport
  evidence: RecordEvidence
}): ComponentChild {
  const { view, report, evidence } = props
  const shape = evidence.imageShape
  if (view.trigger?.modality === 'image' && shape) {
    const average = evidence.averageImage?.(view.rows)
    if (average) return h(TriggerPicture, { trigger: view.trigger, average, shape })
  }
  if (view.pattern && view.pattern.length > 0) {
    const width = view.pattern[0].length
    return h(HeatMap, {
      values: view.pattern.flat(),
      width,
      height: view.pattern.length,
      diverging: true,
      label: `Pattern carried by class ${view.attack.label ?? ''}: red brighter, blue darker than the class`,
    })
  }
  if (view.pair) return h(PairMatrix, { records: report.records, rows: view.rows, highlight: view.pair })
  if (shape && view.rows.length > 0) {
    const average = evidence.averageImage?.(view.rows)
    if (average)
      return h('img', {
        class: 'average',
        src: average,
        width: 112,
        height: 112,
        alt: `Average image of the ${view.rows.length} records`,
      })
  }
  return null
}

function AttackCard(props: {
  view: AttackView
  index: number
  report: ScanReport
  evidence: RecordEvidence
  /** Key of the group that lists the attack's records, when one does. */
  groupKey?: string
  /** The records to show: the attack's own, not already shown for an attack above. */
  exemplarRows: Int32Array
}): ComponentChild {
  const { view, index, report, evidence } = props
  const { attack } = view
  const facts: [string, string][] = [
    ['How sure', howSure(view)],
    [
      'Records',
      `${formatCount(attack.records)} (${formatPercent(attack.records, report.records.length)} of the data)`,
    ],
    ...(attack.label === undefined ? [] : ([['Class', attack.label]] as [string, string][])),
    ...(view.pair
      ? ([['Pair', `true ${view.pair.true} → given ${view.pair.given}`]] as [string, string][])
      : []),
    ...(view.floodOriginal === undefined
      ? []
      : ([['Copies of', truncate(view.floodOriginal, 40)]] as [string, string][])),
    [
      'Sources',
      view.sources.length === 0
        ? 'not recorded'
        : view.sources
            .slice(0, 5)
            .map((source) => `${truncate(source.name, 30)} (${formatCount(source.records)})`)
            .join(', '),
    ],
    ['Found by', [attack.detector, ...view.confirmedBy.map((other) => other.detector)].join(', ')],
  ]
  const terms = view.trigger?.modality === 'text' ? view.trigger.features : []
  return h(
    'article',
    { class: 'attack', id: `attack-${index}`, 'aria-labelledby': `attack-${index}-title` },
    h(
      'h3',
      { id: `attack-${index}-title` },
      h('span', { class: 'kind' }, attack.kind),
      ' ',
      truncate(attack.description, 300),
    ),
    h(
      'div',
      { class: 'attack-body' },
      h('div', { class: 'attack-picture' }, h(AttackPicture, { view, report, evidence })),
      h(
        'div',
        null,
        h(
          'dl',
          { class: 'facts' },
          facts.map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))),
        ),
        h(Exemplars, {
          records: report.records,
          rows: props.exemplarRows,
          evidence,
          limit: EXEMPLAR_COUNT,
          terms,
        }),
        props.groupKey ? h('a', { href: `#group-${props.groupKey}` }, 'Its records ↓') : null,
      ),
    ),
  )
}

/**
 * The first section of a scan report: the verdict, each attack found with its picture and numbers, and the
 * command that acts on it.
 */
export function VerdictSection(props: {
  report: ScanReport
  attacks: readonly AttackView[]
  groups: readonly FindingGroup[]
  evidence: RecordEvidence
  /** A `data:` URL of the flagged records as CSV, and how many it holds. */
  csv: { href: string; records: number }
  /** What to do next where commands do not fit, e.g. the review app's link to its queue. */
  nextStep?: ComponentChild
}): ComponentChild {
  const { report, attacks, evidence } = props
  const groupOfRow = new Map<number, string>()
  for (const group of props.groups) for (const row of group.rows) groupOfRow.set(row, group.key)
  const verdict = report.summary.verdict
  const flagged = report.summary.flagged
  const rows = report.records.length
  // The cards below name each attack; the headline counts them after merging detectors that agree.
  const headline = !verdict
    ? `${formatCount(flagged)} of ${formatCount(rows)} records flagged`
    : verdict.verdict === 'poisoned' && attacks.length > 0
      ? `POISONED: ${attacks.length} attack${attacks.length === 1 ? '' : 's'} found`
      : `${verdict.verdict.toUpperCase()}: ${verdict.reason}`
  const tone = verdict ? VERDICT_TONE[verdict.verdict] : flagged > 0 ? 'medium' : 'clean'
  return h(
    'section',
    { id: 'verdict', 'aria-labelledby': 'verdict-title' },
    h('h2', { id: 'verdict-title' }, 'Verdict'),
    h('p', { class: `verdict verdict-${tone}`, role: 'status' }, h('strong', null, headline)),
    h(
      'p',
      { class: 'lead' },
      `${formatCount(flagged)} of ${formatCount(rows)} records flagged (${formatPercent(flagged, rows)})`,
      report.summary.falseDiscovery
        ? `; about ${report.summary.falseDiscovery.expectedFalseAlarms} of them are expected to be false alarms.`
        : '.',
    ),
    attacks.map((view, index) =>
      h(AttackCard, {
        view,
        index,
        report,
        evidence,
        groupKey: groupOfRow.get(view.rows[0]),
        exemplarRows: unseenRows(view, attacks.slice(0, index)),
      }),
    ),
    flagged > 0
      ? h(
          'div',
          { class: 'next-step' },
          h('h3', null, 'Next step'),
          props.nextStep ?? [
            h(
              'p',
              null,
              'Write a copy without the flagged records',
              attacks.some((view) => fixedByRelabelling(view.attack))
                ? ', or one with their suggested labels'
                : '',
              ':',
            ),
            nextStepCommands(report, attacks).map((command) => h('pre', null, h('code', null, command))),
          ],
          h(
            'p',
            null,
            h(
              'a',
              { class: 'download', href: props.csv.href, download: 'flagged-records.csv' },
              props.csv.records < flagged
                ? `Download the ids of the ${formatCount(props.csv.records)} most suspicious of ${formatCount(flagged)} flagged records (CSV; the JSON report lists all)`
                : `Download the ids of the ${formatCount(flagged)} flagged records (CSV)`,
            ),
          ),
        )
      : null,
  )
}
