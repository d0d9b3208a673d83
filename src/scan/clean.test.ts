import { describe, expect, it } from 'vitest'
import type { RecordReport, ScanReport } from '../domain/index.js'
import { cleanKeepMask, sourcesFlaggedAbove } from './clean.js'

function reportOf(records: Pick<RecordReport, 'flagged' | 'source'>[]): ScanReport {
  const bySource: Record<string, { rows: number; flagged: number }> = {}
  for (const record of records) {
    bySource[record.source!] ??= { rows: 0, flagged: 0 }
    bySource[record.source!].rows++
    if (record.flagged) bySource[record.source!].flagged++
  }
  return {
    records: records.map((record, row) => ({
      id: String(row),
      suspicion: 0,
      severity: null,
      findings: [],
      ...record,
    })),
    summary: { bySource },
  } as unknown as ScanReport
}

describe('cleaned copies', () => {
  const report = reportOf([
    { flagged: true, source: 'bad' },
    { flagged: false, source: 'bad' },
    { flagged: false, source: 'good' },
    { flagged: true, source: 'good' },
    { flagged: false, source: 'good' },
    { flagged: false, source: 'good' },
  ])

  it('drops flagged records', () => {
    expect(Array.from(cleanKeepMask(report))).toEqual([0, 1, 1, 0, 1, 1])
  })

  it('quarantines whole sources above a flagged share', () => {
    expect([...sourcesFlaggedAbove(report, 0.3)]).toEqual(['bad'])
    expect(Array.from(cleanKeepMask(report, { dropSourcesAbove: 0.3 }))).toEqual([0, 0, 1, 0, 1, 1])
    expect(Array.from(cleanKeepMask(report, { dropSourcesAbove: 0.2 }))).toEqual([0, 0, 0, 0, 0, 0])
  })
})
