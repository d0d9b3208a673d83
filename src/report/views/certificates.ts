import { h } from 'preact'
import { formatCount, formatPercent } from '../html-format.js'

/** One point of a certified-accuracy curve: the share of records correct and certified at `radius` or more. */
export interface CurvePoint {
  readonly radius: number
  readonly certifiedAccuracy: number
}

const WIDTH = 640
const HEIGHT = 260
const PAD = { left: 48, right: 16, top: 12, bottom: 36 }

/**
 * The certified-accuracy curve as an SVG step plot: certified accuracy (0–100%) against the number of poisoned
 * training records, with the median radius marked.
 */
export function CertifiedCurve(props: { curve: readonly CurvePoint[]; medianRadius: number; title: string }) {
  const { curve, medianRadius } = props
  const largest = Math.max(1, curve.length)
  const x = (radius: number) => PAD.left + (radius / largest) * (WIDTH - PAD.left - PAD.right)
  const y = (share: number) => PAD.top + (1 - share) * (HEIGHT - PAD.top - PAD.bottom)
  const steps = curve.flatMap((point) => [
    `${x(point.radius)},${y(point.certifiedAccuracy)}`,
    `${x(point.radius + 1)},${y(point.certifiedAccuracy)}`,
  ])
  const ticks = [0, 0.25, 0.5, 0.75, 1]
  const radiusTicks = Array.from({ length: 5 }, (_, index) => Math.round((index * largest) / 4))
  return h(
    'svg',
    { class: 'curve', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': props.title },
    h('title', null, props.title),
    ...ticks.map((share) =>
      h('g', { key: `y${share}` }, [
        h('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(share), y2: y(share), class: 'grid' }),
        h('text', { x: PAD.left - 6, y: y(share) + 4, 'text-anchor': 'end' }, `${share * 100}%`),
      ]),
    ),
    ...radiusTicks.map((radius) =>
      h(
        'text',
        { key: `x${radius}`, x: x(radius), y: HEIGHT - PAD.bottom + 16, 'text-anchor': 'middle' },
        String(radius),
      ),
    ),
    h(
      'text',
      { x: (PAD.left + WIDTH - PAD.right) / 2, y: HEIGHT - 4, 'text-anchor': 'middle' },
      'poisoned training records (radius)',
    ),
    medianRadius >= 0
      ? h('line', {
          x1: x(medianRadius),
          x2: x(medianRadius),
          y1: PAD.top,
          y2: HEIGHT - PAD.bottom,
          class: 'median',
        })
      : null,
    steps.length > 0 ? h('polyline', { points: steps.join(' '), class: 'step' }) : null,
  )
}

/** The curve at a few radii as a table, for readers who want the numbers. */
export function CurveTable(props: { curve: readonly CurvePoint[]; total: number }) {
  const { curve, total } = props
  if (curve.length === 0) return h('p', null, 'No record is predicted correctly, so none is certified.')
  const radii = [
    ...new Set(
      [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].filter((r) => r < curve.length).concat(curve.length - 1),
    ),
  ]
  return h(
    'table',
    { class: 'data' },
    h(
      'thead',
      null,
      h('tr', null, h('th', null, 'radius'), h('th', null, 'certified accuracy'), h('th', null, 'records')),
    ),
    h(
      'tbody',
      null,
      radii.map((radius) =>
        h(
          'tr',
          { key: radius },
          h('td', null, formatCount(radius)),
          h('td', null, formatPercent(Math.round(curve[radius].certifiedAccuracy * total), total)),
          h('td', null, formatCount(Math.round(curve[radius].certifiedAccuracy * total))),
        ),
      ),
    ),
  )
}
