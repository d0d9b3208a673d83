import { describe, expect, it } from 'vitest'
import { storedResult } from './batch-data.js'

describe('a stored intake result', () => {
  it('is nothing while the batch is pending', () => {
    expect(storedResult(null)).toBeUndefined()
  })

  it('written before record-level review still lists its records as decidable, with no drift columns', () => {
    const older = {
      decision: 'needs_review',
      reasons: [],
      rowCount: 2,
      signature: { status: 'not-required', keyIds: [] },
      check: { summary: { tests: 0 }, findings: [] },
      scan: { flagged: 1, records: [{ id: 'a', suspicion: 0.9, severity: 'high', findings: [] }] },
    }
    const result = storedResult(JSON.stringify(older))
    expect(result?.scan?.records.map((record) => [record.id, record.flagged])).toEqual([['a', true]])
    expect(result?.scan?.detectors).toEqual([])
    expect(result?.check?.columns).toEqual([])
  })

  it('written since keeps what the scan decided about each record', () => {
    const record = { id: 'b', suspicion: 0.4, flagged: false, severity: 'low', findings: [] }
    const current = { scan: { flagged: 0, records: [record], detectors: [] } }
    expect(storedResult(JSON.stringify(current))?.scan?.records).toEqual([record])
  })
})
