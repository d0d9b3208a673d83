import { describe, expect, it } from 'vitest'
import type { LabelColumn } from '../data/dataset.js'
import type { NeighbourGraph } from '../linalg/backend.js'
import { createRng } from '../util/rng.js'
import { unjudgedRecords, unjudgedWarnings } from './unjudged-labels.js'

/** Exact Euclidean neighbours of 2-D points, each record's own match left out. */
function neighbours(points: readonly [number, number][], k: number): NeighbourGraph {
  const indices = new Int32Array(points.length * k)
  const distances = new Float32Array(points.length * k)
  points.forEach(([x, y], row) => {
    const nearest = points
      .map(([u, v], other) => ({ other, distance: Math.hypot(x - u, y - v) }))
      .filter(({ other }) => other !== row)
      .sort((a, b) => a.distance - b.distance)
      .slice(0, k)
    nearest.forEach(({ other, distance }, position) => {
      indices[row * k + position] = other
      distances[row * k + position] = distance
    })
  })
  return { rows: points.length, k, indices, distances }
}

/** Records of `label` spread about a centre by a unit Gaussian. */
function cluster(rng: ReturnType<typeof createRng>, label: string, count: number, x: number, y: number) {
  return Array.from({ length: count }, () => ({
    point: [x + rng.normal(), y + rng.normal()] as [number, number],
    label,
  }))
}

function labelColumn(names: readonly string[]): LabelColumn {
  const classes = [...new Set(names)].sort()
  return { name: 'label', classes, codes: Int32Array.from(names, (name) => classes.indexOf(name)) }
}

/** The records' labels and which of them `unjudgedRecords` leaves alone on their 10 exact neighbours. */
function judgeRecords(records: readonly { point: [number, number]; label: string }[]) {
  const labels = labelColumn(records.map((record) => record.label))
  const graph = neighbours(
    records.map((record) => record.point),
    10,
  )
  return { labels, unjudged: unjudgedRecords(labels, graph) }
}

/**
 * Three crowds of 40 far apart, honest records of small labels alone in their places, and records relabelled into
 * those labels inside the crowds.
 */
function longTailUnderFlips() {
  const rng = createRng(3)
  const records = [
    ...cluster(rng, 'common a', 40, 0, 0),
    ...cluster(rng, 'common b', 40, 60, 0),
    ...cluster(rng, 'common c', 40, 0, 60),
    { point: [60, 60] as [number, number], label: 'rare one' },
    ...cluster(rng, 'rare three', 3, -60, 60),
    { point: [-60, -60] as [number, number], label: 'rare pair' },
    { point: [60, -60] as [number, number], label: 'rare pair' },
  ]
  // Relabelled inside the crowds of a and b.
  const intruders = [0, 40, 41]
  records[0].label = 'rare one'
  records[40].label = 'rare three'
  records[41].label = 'rare pair'
  return { records, intruders }
}

describe('unjudgedRecords', () => {
  it('leaves the honest group of a small label apart unjudged, and judges its records inside a crowd', () => {
    const { records, intruders } = longTailUnderFlips()
    const { labels, unjudged } = judgeRecords(records)
    const rows = records.flatMap((_, row) => (unjudged.rows[row] ? [row] : []))
    // The lone 'rare one' and the three of 'rare three'; 'rare pair' has two records apart: neither is preferred.
    expect(rows).toEqual([120, 121, 122, 123])
    for (const row of intruders) expect(unjudged.rows[row]).toBe(0)
    expect(unjudged.splitLabels.map((code) => labels.classes[code]).sort()).toEqual([
      'rare one',
      'rare three',
    ])
    expect(unjudgedWarnings(labels, unjudged).join(' ')).toMatch(
      /2 label\(s\) held by few records .*the 4 record\(s\) apart are not judged/,
    )
  })

  it('leaves a single record apart unjudged and judges one inside a crowd', () => {
    const rng = createRng(4)
    const records = [
      ...cluster(rng, 'common', 40, 0, 0),
      { point: [50, 50] as [number, number], label: 'alone' },
      { point: [0.2, 0.1] as [number, number], label: 'inside' },
    ]
    const { labels, unjudged } = judgeRecords(records)
    expect(Array.from(unjudged.rows.subarray(40))).toEqual([1, 0])
    expect(unjudged.singleLabels.map((code) => labels.classes[code])).toEqual(['alone'])
  })
})
