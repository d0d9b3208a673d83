import { describe, expect, it } from 'vitest'
import { type Dataset, encodeLabels } from '../data/dataset.js'
import { createRng } from '../util/rng.js'
import { jitterRow, measureFeatures } from './feature-space.js'

/**
 * 200 records of a count, three flags of which each record sets exactly one (a run the scan reads as one categorical
 * column), and a flag of its own that is often set beside them.
 */
function flaggedTable(): Dataset {
  const rng = createRng(11)
  const rowCount = 200
  const data = new Float32Array(rowCount * 5)
  for (let row = 0; row < rowCount; row++) {
    data[row * 5] = rng.int(20)
    data[row * 5 + 1 + rng.int(3)] = 1
    data[row * 5 + 4] = rng.next() < 0.5 ? 1 : 0
  }
  return {
    origin: { path: 'memory:flags', format: 'csv', sha256: 'in-memory', byteCount: 0 },
    rowCount,
    ids: Array.from({ length: rowCount }, (_, row) => `r${row}`),
    labels: encodeLabels(
      'label',
      Array.from({ length: rowCount }, (_, row) => String(row % 2)),
    ),
    features: { data, rows: rowCount, cols: 5 },
    featureNames: ['visits', 'left', 'middle', 'right', 'member'],
    warnings: [],
  }
}

describe('records jittered to what a table holds', () => {
  it('keep one flag of a run no record sets two of, whole counts, and a lone flag free', () => {
    const table = flaggedTable()
    const scale = measureFeatures(table)
    expect(scale.groups.map(({ cols }) => cols)).toEqual([[1, 2, 3]])
    const rng = createRng(3)
    const out = new Float32Array(5)
    const flagsSet = new Set<number>()
    for (let draw = 0; draw < 500; draw++) {
      jitterRow(table.features!, draw % table.rowCount, 2, scale, rng, out)
      expect(Number.isInteger(out[0])).toBe(true)
      expect(out[1] + out[2] + out[3]).toBe(1)
      flagsSet.add(out[1] * 1 + out[2] * 2 + out[3] * 3)
      expect([0, 1]).toContain(out[4])
    }
    expect(flagsSet).toEqual(new Set([1, 2, 3]))
  })
})
