import { describe, expect, it } from 'vitest'
import { type Dataset, encodeLabels } from '../../data/dataset.js'
import { treeInput } from './tree-view.js'

function table(rowCount: number, cols: number, classCount: number, texts?: string[]): Dataset {
  return {
    origin: { path: 'memory:table', format: 'csv', sha256: '', byteCount: 0 },
    rowCount,
    ids: Array.from({ length: rowCount }, (_, row) => String(row)),
    labels: encodeLabels(
      'label',
      Array.from({ length: rowCount }, (_, row) => `c${row % classCount}`),
    ),
    features: { data: new Float32Array(rowCount * cols), rows: rowCount, cols },
    featureNames: Array.from({ length: cols }, (_, col) => `f${col}`),
    texts,
    warnings: [],
  }
}

describe('treeInput', () => {
  it('gives trees the columns of small dense tables', () => {
    expect(treeInput(table(1797, 64, 10))?.cols).toBe(64)
    expect(treeInput(table(12_000, 16, 2))?.cols).toBe(16)
  })

  it('leaves out too few records, too many columns, and work past its budget', () => {
    expect(treeInput(table(150, 4, 3))).toBeUndefined()
    expect(treeInput(table(1000, 65, 2))).toBeUndefined()
    expect(treeInput(table(10_000, 64, 10))).toBeUndefined()
    expect(treeInput(table(20_000, 64, 2))).toBeUndefined()
  })

  it('reads the style of short texts and leaves long ones to the words', () => {
    const short = Array.from({ length: 600 }, (_, row) => `Re: meeting ${row}`)
    expect(treeInput(table(600, 0, 2, short))?.cols).toBe(11)
    const long = short.map((text) => `${text} ${'word '.repeat(80)}`)
    expect(treeInput(table(600, 0, 2, long))).toBeUndefined()
  })
})
