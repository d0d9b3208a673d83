import { describe, expect, it } from 'vitest'
import { compareBehaviour, mcnemarExact } from './behaviour.js'

describe('mcnemarExact', () => {
  it('is the two-sided exact binomial tail of the discordant counts', () => {
    expect(mcnemarExact(0, 15)).toBeCloseTo(2 * 0.5 ** 15, 12)
    // P(X ≥ 8 | n = 10, 1/2) = 56/1024, doubled.
    expect(mcnemarExact(8, 2)).toBeCloseTo((2 * 56) / 1024, 12)
    expect(mcnemarExact(0, 0)).toBe(1)
    expect(mcnemarExact(5, 5)).toBe(1)
  })
})

describe('compareBehaviour', () => {
  const classNames = ['a', 'b', 'c']
  const rowCount = 300
  const reference = Int32Array.from({ length: rowCount }, (_, row) => row % 3)
  const ids = Array.from({ length: rowCount }, (_, row) => `r${row}`)

  it('names a pair whose changes run one way and lists the changed records', () => {
    const candidate = Int32Array.from(reference, (code, row) => (code === 0 && row < 90 ? 1 : code))
    const report = compareBehaviour({ classNames, ids, candidate, reference, truth: reference })
    expect(report.changedCount).toBe(30)
    expect(report.findings).toMatchObject([{ kind: 'class_pair_shift', from: 'a', to: 'b' }])
    expect(report.changedRecords[0]).toEqual({ id: 'r0', reference: 'a', candidate: 'b', truth: 'a' })
    expect(report.perClass[0]).toMatchObject({ label: 'a', count: 100, changed: 30, candidateAccuracy: 0.7 })
    expect(report.agreement[0][1]).toBe(30)
  })

  it('finds nothing when changes go both ways evenly', () => {
    const candidate = Int32Array.from(reference, (code, row) => {
      if (row >= 60) return code
      return code === 0 ? 1 : code === 1 ? 0 : code
    })
    const report = compareBehaviour({ classNames, ids, candidate, reference })
    expect(report.changedCount).toBe(40)
    expect(report.findings).toEqual([])
    expect(report.verdict).toBe('consistent')
  })

  it('reports changed records that share a feature', () => {
    const candidate = Int32Array.from(reference, (code, row) => (row % 30 === 0 ? (code + 1) % 3 : code))
    const data = Float32Array.from({ length: rowCount * 2 }, (_, i) => {
      const row = Math.floor(i / 2)
      return i % 2 === 1 ? (row % 30 === 0 || row % 7 === 0 ? 1 : 0) : 1
    })
    const report = compareBehaviour({
      classNames,
      ids,
      candidate,
      reference,
      features: { data, rows: rowCount, cols: 2 },
      featureNames: ['always', 'trigger'],
    })
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: 'shared_feature', feature: 'trigger' }),
    )
    expect(report.findings.map((finding) => finding.feature)).not.toContain('always')
  })
})
