import { describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../test/fixtures/datasets.js'
import type { Dataset } from '../data/dataset.js'
import { createRng, shuffledIndices } from '../util/rng.js'
import { checkBatch } from './check.js'

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'sigma', 'kappa', 'theta']
const CREATED_AT = new Date('2026-01-01T00:00:00Z')

interface Shift {
  /** Added to feature a of rows from this source. */
  source?: string
  by?: number
  /** Share of label "yes". */
  yesShare?: number
  sources?: string[]
}

/** Rows with features a (normal) and b (uniform), labels yes/no, short texts and sources. */
function dataset(rows: number, seed: number, shift: Shift = {}): Dataset {
  const rng = createRng(seed)
  const sources = shift.sources ?? ['alice', 'bob']
  const data = new Float32Array(rows * 2)
  const labels: string[] = []
  const texts: string[] = []
  const rowSources: string[] = []
  for (let row = 0; row < rows; row++) {
    const source = sources[row % sources.length]
    rowSources.push(source)
    data[row * 2] = rng.normal() + (source === shift.source ? (shift.by ?? 0) : 0)
    data[row * 2 + 1] = rng.next()
    labels.push(rng.next() < (shift.yesShare ?? 0.4) ? 'yes' : 'no')
    texts.push(Array.from({ length: 4 + rng.int(5) }, () => WORDS[rng.int(WORDS.length)]).join(' '))
  }
  return inMemoryDataset({
    path: `data-${seed}.csv`,
    features: { data, rows, cols: 2 },
    featureNames: ['a', 'b'],
    labels,
    texts,
    sources: rowSources,
  })
}

function shuffled(input: Dataset, seed: number): Dataset {
  const order = shuffledIndices(input.rowCount, createRng(seed))
  const data = new Float32Array(input.features!.data.length)
  order.forEach((row, index) => {
    data.set(input.features!.data.subarray(row * 2, row * 2 + 2), index * 2)
  })
  return inMemoryDataset({
    path: input.origin.path,
    features: { data, rows: input.rowCount, cols: 2 },
    featureNames: [...input.featureNames],
    labels: Array.from(order, (row) => input.labels!.classes[input.labels!.codes[row]]),
    texts: Array.from(order, (row) => input.texts![row]),
    sources: Array.from(order, (row) => input.sources![row]),
  })
}

const options = { permutations: 50, createdAt: CREATED_AT }

describe('checkBatch', () => {
  const reference = dataset(3000, 1)

  it('runs every kind of test and finds nothing in a batch from the same distribution', () => {
    const report = checkBatch(reference, dataset(1200, 2), options)
    const ids = report.tests.map((test) => test.id)
    expect(ids).toEqual(
      expect.arrayContaining([
        'feature:a',
        'feature:b',
        'label',
        'text:text:bursts',
        'text:text:tokens',
        'source-mix',
        'features:mmd',
        'feature:a@alice',
        'label@bob',
        'text:text:bursts@bob',
      ]),
    )
    expect(report.summary).toMatchObject({
      drifted: false,
      significantTests: 0,
      findings: 0,
      worstSeverity: null,
    })
    expect(report.tests.every((test) => test.qValue >= test.pValue && test.severity === null)).toBe(true)
    expect(report.tests.find((test) => test.id === 'feature:a')?.details?.cdf).toBeDefined()
  })

  it('finds a shift in one source, compares it with the same source of the reference, and grades it', () => {
    const report = checkBatch(reference, dataset(1200, 3, { source: 'bob', by: 0.8 }), options)
    const significant = report.tests.filter((test) => test.significant).map((test) => test.id)
    expect(significant).toContain('feature:a@bob')
    expect(significant).not.toContain('feature:a@alice')
    const bob = report.tests.find((test) => test.id === 'feature:a@bob')!
    expect(bob).toMatchObject({ source: 'bob', comparedWith: 'same-source', severity: 'high' })
    expect(bob.effects.meanShiftStd).toBeGreaterThan(0.5)
    const finding = report.findings.find((entry) => entry.testId === 'feature:a@bob')!
    expect(finding).toMatchObject({ kind: 'drift', detector: 'drift', source: 'bob', column: 'a' })
    expect(finding.explanation).toMatch(/^source "bob": "a": the CDFs differ/)
  })

  it('compares a source new to the reference with the whole reference', () => {
    const report = checkBatch(reference, dataset(1200, 4, { sources: ['alice', 'carol'] }), options)
    expect(report.tests.find((test) => test.id === 'feature:a@carol')?.comparedWith).toBe('reference')
    expect(report.tests.find((test) => test.id === 'source-mix')?.significant).toBe(true)
  })

  it('is deterministic, leaves its inputs untouched and survives a JSON round trip', () => {
    const batch = dataset(800, 5, { yesShare: 0.55 })
    const before = batch.features!.data.slice()
    const first = checkBatch(reference, batch, options)
    expect(checkBatch(reference, batch, options)).toEqual(first)
    expect(batch.features!.data).toEqual(before)
    expect(JSON.parse(JSON.stringify(first))).toEqual(first)
    expect(first.tests.find((test) => test.id === 'label')?.severity).toBe('high')
  })

  it('gives the same non-random statistics when the batch rows are shuffled', () => {
    const batch = dataset(800, 6, { source: 'alice', by: 0.3 })
    const exact = (dataset: Dataset) =>
      checkBatch(reference, dataset, { ...options, mmd: false })
        .tests.filter(
          (test) => test.test === 'ks' || test.test === 'label-prior' || test.test === 'token-burst',
        )
        .map((test) => [test.id, test.statistic, test.pValue])
    expect(exact(shuffled(batch, 7))).toEqual(exact(batch))
  })

  it('summarises columns above sketchAboveRows with KLL sketches and stays calibrated and sensitive', () => {
    const big = dataset(6000, 8)
    const sketched = { ...options, sketchAboveRows: 1000, mmd: false, perSource: false }
    const quiet = checkBatch(big, dataset(3000, 9), sketched)
    const loud = checkBatch(big, dataset(3000, 10, { source: 'alice', by: 0.3 }), sketched)
    const a = (report: typeof quiet) => report.tests.find((test) => test.id === 'feature:a')!
    expect(a(quiet).method).toBe('asymptotic')
    expect(a(quiet).significant).toBe(false)
    expect(a(loud).significant).toBe(true)
  })
})
