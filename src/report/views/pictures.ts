import { type ComponentChild, h } from 'preact'
import type { RecordReport } from '../../domain/index.js'
import type { TriggerEvidence } from '../attacks.js'
import { suggestedLabelOf } from '../groups.js'
import { truncate } from '../html-format.js'
import type { RecordEvidence } from './evidence.js'
import { DataTable } from './table.js'

const CELL = 8

/**
 * A grid of values as coloured squares (one per pixel): red for positive, blue for negative when `diverging`,
 * else shades of red from 0 to the largest value. Zero cells are left out so a sparse map stays small.
 */
export function HeatMap(props: {
  values: ArrayLike<number>
  width: number
  height: number
  label: string
  diverging?: boolean
}): ComponentChild {
  const { values, width, height, diverging } = props
  let max = 0
  for (let index = 0; index < values.length; index++) max = Math.max(max, Math.abs(values[index]))
  const cells: ComponentChild[] = []
  if (max > 0) {
    for (let index = 0; index < width * height; index++) {
      const value = values[index]
      if (!value) continue
      const opacity = Math.min(1, Math.abs(value) / max)
      if (opacity < 0.02) continue
      cells.push(
        h('rect', {
          x: (index % width) * CELL,
          y: Math.floor(index / width) * CELL,
          width: CELL,
          height: CELL,
          fill: diverging && value < 0 ? '#1849a9' : '#d92d20',
          'fill-opacity': opacity.toFixed(2),
        }),
      )
    }
  }
  return h(
    'svg',
    {
      class: 'heatmap',
      viewBox: `0 0 ${width * CELL} ${height * CELL}`,
      width: Math.min(280, width * CELL),
      role: 'img',
      'aria-label': props.label,
    },
    h('rect', { class: 'heatmap-bg', width: width * CELL, height: height * CELL }),
    cells,
  )
}

/** The average image of a trigger's carriers with the recovered patch outlined on it. */
export function TriggerPicture(props: {
  trigger: TriggerEvidence
  average: string
  shape: { width: number; height: number }
}): ComponentChild {
  const { trigger, average, shape } = props
  const { box } = trigger
  const scale = Math.max(1, Math.floor(168 / Math.max(shape.width, shape.height)))
  return h(
    'svg',
    {
      class: 'trigger-picture',
      viewBox: `0 0 ${shape.width} ${shape.height}`,
      width: shape.width * scale,
      height: shape.height * scale,
      role: 'img',
      'aria-label': `Average image of the carriers with ${trigger.description} outlined`,
    },
    h('image', {
      href: average,
      width: shape.width,
      height: shape.height,
      preserveAspectRatio: 'none',
      style: 'image-rendering:pixelated',
    }),
    box
      ? h('rect', {
          class: 'trigger-box',
          x: box.x - 0.5,
          y: box.y - 0.5,
          width: box.width + 1,
          height: box.height + 1,
        })
      : null,
  )
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** A text with every occurrence of the given words marked, cut around the first mark when long. */
export function HighlightedText(props: {
  text: string
  terms: readonly string[]
  maxChars?: number
}): ComponentChild {
  const maxChars = props.maxChars ?? 280
  const text = props.text.replace(/\s+/g, ' ').trim()
  const terms = props.terms.filter((term) => term !== '')
  if (terms.length === 0) return h('p', { class: 'snippet' }, truncate(text, maxChars))
  // Whole words only: a trigger 'cf' is not marked inside 'cfg'.
  const pattern = new RegExp(
    `(?<![\\p{L}\\p{N}])(${terms.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`,
    'giu',
  )
  const first = text.search(pattern)
  const start = first > maxChars / 2 ? first - Math.floor(maxChars / 4) : 0
  const shown = `${start > 0 ? '…' : ''}${truncate(text.slice(start), maxChars)}`
  const parts = shown.split(pattern)
  return h(
    'p',
    { class: 'snippet' },
    parts.map((part, index) => (index % 2 === 1 ? h('mark', null, part) : part)),
  )
}

/**
 * Counts of flagged records by given label (rows) and suggested label (columns): label noise spreads over the
 * matrix, an attacked pair stands out as one heavy cell, outlined.
 */
export function PairMatrix(props: {
  records: readonly RecordReport[]
  rows: Int32Array
  highlight?: { given: string; true: string }
}): ComponentChild {
  const counts = new Map<string, number>()
  const given = new Set<string>()
  const suggested = new Set<string>()
  for (const row of props.rows) {
    const record = props.records[row]
    const label = suggestedLabelOf(record)
    if (record.label === undefined || label === undefined) continue
    given.add(record.label)
    suggested.add(label)
    const key = `${record.label}\u0000${label}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  if (counts.size === 0) return null
  const collator = new Intl.Collator('en', { numeric: true })
  const rowLabels = [...given].sort(collator.compare).slice(0, 20)
  const columnLabels = [...suggested].sort(collator.compare).slice(0, 20)
  const max = Math.max(...counts.values())
  return h(
    DataTable,
    {
      caption: 'Flagged records: given label (rows) by suggested label (columns)',
      tableClass: 'matrix',
      head: [
        h('th', { scope: 'col' }, 'given ↓ suggested →'),
        columnLabels.map((label) => h('th', { scope: 'col' }, truncate(label, 12))),
      ],
    },
    rowLabels.map((rowLabel) =>
      h(
        'tr',
        null,
        h('th', { scope: 'row' }, truncate(rowLabel, 12)),
        columnLabels.map((columnLabel) => {
          const count = counts.get(`${rowLabel}\u0000${columnLabel}`) ?? 0
          const attacked = props.highlight?.given === rowLabel && props.highlight?.true === columnLabel
          return h(
            'td',
            {
              class: attacked ? 'num attacked' : 'num',
              style: count > 0 ? `--share:${(count / max).toFixed(2)}` : undefined,
            },
            count > 0 ? String(count) : '',
          )
        }),
      ),
    ),
  )
}

/** Images or texts of a few records, with their ids and labels. */
export function Exemplars(props: {
  records: readonly RecordReport[]
  rows: Int32Array
  evidence: RecordEvidence
  limit: number
  terms?: readonly string[]
}): ComponentChild {
  const { records, evidence } = props
  const shown = Array.from(props.rows.subarray(0, props.limit))
  const items = shown.flatMap((row) => {
    const record = records[row]
    const caption = `${record.id}${record.label === undefined ? '' : ` · ${record.label}`}`
    const image = evidence.thumbnail?.(row)
    if (image)
      return [
        h(
          'figure',
          { class: 'exemplar' },
          h('img', { class: 'thumb', src: image, width: 56, height: 56, alt: `Record ${caption}` }),
          h('figcaption', null, truncate(caption, 24)),
        ),
      ]
    const text = evidence.text?.(row)
    if (text)
      return [
        h(
          'figure',
          { class: 'exemplar exemplar-text' },
          HighlightedText({ text, terms: props.terms ?? [] }),
          h('figcaption', null, truncate(caption, 60)),
        ),
      ]
    return []
  })
  return items.length > 0 ? h('div', { class: 'exemplars' }, items) : null
}
