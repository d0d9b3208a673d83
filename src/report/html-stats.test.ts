import { describe, expect, it } from 'vitest'
import type { RecordReport } from '../domain/index.js'
import { escapeHtml, formatCompact, formatDuration, formatPercent, truncate } from './html-format.js'
import { buildSuspicionHistogram } from './html-stats.js'

function record(suspicion: number, flagged: boolean): RecordReport {
  return { id: '', suspicion, flagged, severity: null, findings: [] }
}

describe('buildSuspicionHistogram', () => {
  it('puts 1 in the last bin, clamps out-of-range scores, skips NaN and tracks the lowest flagged score', () => {
    const histogram = buildSuspicionHistogram(
      [
        record(0, false),
        record(0.05, false),
        record(1, true),
        record(0.96, true),
        record(1.5, false),
        record(-1, false),
      ],
      20,
    )
    expect(Array.from(histogram.total.subarray(0, 2))).toEqual([2, 1])
    expect(histogram.total[19]).toBe(3)
    expect(histogram.flagged[19]).toBe(2)
    expect(histogram.total.reduce((a, b) => a + b, 0)).toBe(6)
    expect(histogram.minFlaggedSuspicion).toBe(0.96)
    expect(buildSuspicionHistogram([record(Number.NaN, true)]).minFlaggedSuspicion).toBeUndefined()
  })
})

describe('formatting', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    )
  })

  it('truncates by code point without splitting surrogate pairs', () => {
    expect(truncate('abc', 3)).toBe('abc')
    expect(truncate('abcd', 3)).toBe('abc…')
    expect(truncate('😀😀😀😀', 3)).toBe('😀😀😀…')
    expect(truncate('😀😀😀', 3)).toBe('😀😀😀')
  })

  it('formats counts, shares and durations', () => {
    expect([
      formatCompact(950),
      formatCompact(1234),
      formatCompact(12_345),
      formatCompact(1_000_000),
    ]).toEqual(['950', '1.2k', '12k', '1M'])
    expect([formatPercent(1, 2000), formatPercent(0, 10), formatPercent(1, 3), formatPercent(1, 0)]).toEqual([
      '<0.1%',
      '0%',
      '33.3%',
      '–',
    ])
    expect([formatDuration(812.4), formatDuration(4210), formatDuration(185_000)]).toEqual([
      '812 ms',
      '4.21 s',
      '3 min 5 s',
    ])
  })
})
