import { type ComponentChild, h } from 'preact'
import { channelCount, type ImageShape } from '../../data/image-shape.js'
import type { Severity } from '../../domain/index.js'
import { formatCount, formatPercent, truncate } from '../html-format.js'
import { HeatMap } from './pictures.js'
import { DataTable } from './table.js'

/** What the views need of one column's drift test (a subset of the check report's test result). */
export interface ColumnDriftTest {
  readonly id: string
  readonly column?: string
  /** The KS statistic: the largest gap between the two CDFs, in [0,1]. */
  readonly statistic: number
  readonly qValue: number
  readonly significant: boolean
  readonly severity: Severity | null
  readonly details?: Record<string, unknown>
}

/**
 * Where each feature sits in an image: by the number that ends its name (`p0`…`p783`, `pixel1`…) when those
 * numbers cover the pixels once, else by column order; the columns of a colour image are interleaved per pixel
 * (see `ImageShape`). Undefined when the columns do not fill the image.
 */
export function pixelPositions(columns: readonly string[], shape: ImageShape) {
  const pixelCount = shape.width * shape.height
  const channels = channelCount(shape)
  if (channels > 1)
    return columns.length === pixelCount * channels
      ? Int32Array.from(columns, (_, index) => Math.floor(index / channels))
      : undefined
  if (columns.length !== pixelCount) return undefined
  const numbers = columns.map((column) => Number(/(\d+)$/.exec(column)?.[1] ?? Number.NaN))
  for (const base of [0, 1]) {
    const positions = Int32Array.from(numbers, (number) => number - base)
    const seen = new Uint8Array(pixelCount)
    let complete = true
    for (const position of positions) {
      if (!(position >= 0 && position < pixelCount) || seen[position]) {
        complete = false
        break
      }
      seen[position] = 1
    }
    if (complete) return positions
  }
  return Int32Array.from(columns, (_, index) => index)
}

/** The image shape of a batch: the one it declares, else a square when its feature names count pixels. */
export function inferImageShape(columns: readonly string[], declared?: ImageShape): ImageShape | undefined {
  if (declared) return declared
  const side = Math.round(Math.sqrt(columns.length))
  const numbered = columns.every((column) => /\d$/.test(column))
  return side >= 8 && side * side === columns.length && numbered ? { width: side, height: side } : undefined
}

/**
 * How much each pixel's distribution moved (the KS statistic; of colour images, its channel that moved most),
 * drawn where the pixel sits.
 */
export function DriftHeatMap(props: {
  tests: readonly ColumnDriftTest[]
  shape: ImageShape
}): ComponentChild {
  const columns = props.tests.map((test) => test.column ?? '')
  const positions = pixelPositions(columns, props.shape)
  if (!positions) return null
  const statistic = new Float32Array(props.shape.width * props.shape.height)
  const significant: string[] = []
  props.tests.forEach((test, index) => {
    statistic[positions[index]] = Math.max(statistic[positions[index]], test.statistic)
    if (test.significant)
      significant.push(
        `${test.column} (x ${positions[index] % props.shape.width}, y ${Math.floor(positions[index] / props.shape.width)})`,
      )
  })
  return h(
    'figure',
    { class: 'drift-map' },
    h(HeatMap, {
      values: statistic,
      width: props.shape.width,
      height: props.shape.height,
      label: `How far each pixel's distribution moved; ${significant.length} of ${columns.length} ${channelCount(props.shape) === 1 ? 'pixels' : 'pixel channels'} drifted significantly`,
    }),
    h(
      'figcaption',
      null,
      `Each square is one pixel; the redder, the larger its shift (KS statistic, largest ${Math.max(...statistic).toFixed(3)}). `,
      significant.length > 0
        ? `Drifted: ${truncate(significant.slice(0, 12).join(', '), 400)}${significant.length > 12 ? ', …' : ''}.`
        : 'No pixel drifted significantly.',
    ),
  )
}

/** Reference (grey) and batch (blue) CDFs as two lines in a word-sized chart. */
function CdfSparkline(props: { curves: { probabilities: number[]; reference: number[]; batch: number[] } }) {
  const { probabilities, reference, batch } = props.curves
  const values = [...reference, ...batch].filter(Number.isFinite)
  if (values.length === 0) return null
  const low = Math.min(...values)
  const span = Math.max(...values) - low || 1
  const line = (quantiles: number[]) =>
    quantiles
      .map(
        (value, index) =>
          `${(((value - low) / span) * 80).toFixed(1)},${(20 - probabilities[index] * 20).toFixed(1)}`,
      )
      .join(' ')
  return h(
    'svg',
    { class: 'spark', viewBox: '-1 -1 82 22', width: 82, height: 22, 'aria-hidden': 'true' },
    h('polyline', { class: 'line-reference', points: line(reference) }),
    h('polyline', { class: 'line-batch', points: line(batch) }),
  )
}

function ColumnRow(props: { test: ColumnDriftTest; max: number; withCurve: boolean }): ComponentChild {
  const { test } = props
  const curves = props.withCurve
    ? (test.details?.cdf as Parameters<typeof CdfSparkline>[0]['curves'])
    : undefined
  return h(
    'tr',
    null,
    h('th', { scope: 'row' }, h('code', null, truncate(test.column ?? test.id, 40))),
    h('td', { class: 'num' }, test.statistic.toFixed(3)),
    h(
      'td',
      { class: 'bar-cell' },
      h('span', {
        class: 'shift',
        style: `width:${((100 * test.statistic) / (props.max || 1)).toFixed(0)}%`,
      }),
    ),
    h('td', { class: 'num' }, test.qValue < 1e-4 ? test.qValue.toExponential(1) : test.qValue.toPrecision(2)),
    h('td', null, test.severity ? h('span', { class: `badge sev-${test.severity}` }, test.severity) : '–'),
    props.withCurve ? h('td', null, curves ? h(CdfSparkline, { curves }) : null) : null,
  )
}

function ColumnTable(props: {
  tests: readonly ColumnDriftTest[]
  max: number
  withCurve: boolean
  caption: string
}) {
  return h(
    DataTable,
    {
      caption: props.caption,
      tableClass: 'data compact columns',
      head: [
        h('th', { scope: 'col' }, 'Column'),
        h('th', { scope: 'col', class: 'num' }, 'Shift (KS)'),
        h(
          'th',
          { scope: 'col', class: 'bar-cell' },
          h('span', { class: 'visually-hidden' }, 'Shift as a bar'),
        ),
        h('th', { scope: 'col', class: 'num' }, 'q'),
        h('th', { scope: 'col' }, 'Severity'),
        props.withCurve ? h('th', { scope: 'col' }, 'Reference vs batch') : null,
      ],
    },
    props.tests.map((test) => h(ColumnRow, { test, max: props.max, withCurve: props.withCurve })),
  )
}

/**
 * Every numeric column, the most shifted first: the drift share, the top columns with their distributions
 * inline, and the rest folded away.
 */
export function ColumnSummary(props: {
  tests: readonly ColumnDriftTest[]
  topCount: number
}): ComponentChild {
  const sorted = [...props.tests].sort(
    (a, b) =>
      Number(b.significant) - Number(a.significant) || b.statistic - a.statistic || a.qValue - b.qValue,
  )
  if (sorted.length === 0) return h('p', { class: 'muted' }, 'The batch has no numeric columns to compare.')
  const drifted = sorted.filter((test) => test.significant).length
  const max = sorted.reduce((largest, test) => Math.max(largest, test.statistic), 0)
  const top = sorted.slice(0, props.topCount)
  const rest = sorted.slice(props.topCount)
  return h(
    'div',
    null,
    h(
      'p',
      { class: 'drift-share' },
      h('strong', null, `${formatCount(drifted)} of ${formatCount(sorted.length)} columns drifted`),
      ` (drift share ${formatPercent(drifted, sorted.length)}).`,
    ),
    h(ColumnTable, { tests: top, max, withCurve: true, caption: 'The most shifted columns' }),
    rest.length > 0
      ? h(
          'details',
          null,
          h('summary', null, `The other ${formatCount(rest.length)} columns`),
          h(ColumnTable, {
            tests: rest,
            max,
            withCurve: false,
            caption: 'The other columns, most shifted first',
          }),
        )
      : null,
  )
}
