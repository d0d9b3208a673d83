import { describe, expect, it } from 'vitest'
import type { FindingKind, RecordReport, ScanReport, Severity } from '../domain/index.js'
import { createRng } from '../util/rng.js'
import { encodeGrayscalePng, renderHtmlReport } from './html.js'

const INJECTION = '<script>alert("pwned")</script>'
const ATTRIBUTE_INJECTION = '"><img src=x onerror=alert(1)>'

function severityOf(suspicion: number): Severity {
  return suspicion >= 0.9 ? 'high' : suspicion >= 0.8 ? 'medium' : 'low'
}

/** 500 records over labels 0–2 and two sources; rows 7, 42, … are flagged with known suspicions. */
function buildReport(): ScanReport {
  const rng = createRng(11)
  const flaggedSuspicion = new Map([
    [7, 0.72],
    [42, 0.97],
    [99, 0.85],
    [150, 0.91],
    [222, 0.78],
    [301, 0.99],
    [404, 0.83],
    [499, 0.75],
  ])
  const records: RecordReport[] = []
  for (let row = 0; row < 500; row++) {
    const suspicion = flaggedSuspicion.get(row) ?? rng.next() ** 3 * 0.6
    const flagged = flaggedSuspicion.has(row)
    const label = String(row % 3)
    records.push({
      id: row === 42 ? INJECTION : `rec-${row}`,
      suspicion,
      flagged,
      severity: flagged ? severityOf(suspicion) : null,
      label: row === 150 ? ATTRIBUTE_INJECTION : label,
      source: row % 5 === 0 ? 'mallory' : 'alice',
      findings: flagged
        ? [
            {
              detector: 'knn-label-consistency',
              kind: 'label_issue',
              score: suspicion,
              explanation:
                row === 42
                  ? `labelled ${label} but ${INJECTION}`
                  : `labelled ${label} but 9 of 10 neighbours are 7`,
              suggestedLabel: '7',
            },
          ]
        : [],
    })
  }
  const count = (predicate: (record: RecordReport) => boolean) => records.filter(predicate).length
  const group = (key: (record: RecordReport) => string) => {
    const groups: Record<string, { rows: number; flagged: number }> = {}
    for (const record of records) {
      groups[key(record)] ??= { rows: 0, flagged: 0 }
      groups[key(record)].rows++
      if (record.flagged) groups[key(record)].flagged++
    }
    return groups
  }
  return {
    tool: { name: 'poisonguard', version: '0.1.0' },
    createdAt: '2025-06-01T12:00:00.000Z',
    dataset: {
      path: `/data/train-${INJECTION}.csv`,
      format: 'csv',
      rows: 500,
      labels: { '0': 167, '1': 167, '2': 166 },
      sha256: 'ab'.repeat(32),
      featureCount: 784,
      labelColumn: 'label',
      warnings: ['3 rows had an empty label and were dropped', `column ${INJECTION} is constant`],
    },
    detectors: [
      {
        id: 'knn-label-consistency',
        status: 'ok',
        durationMs: 1234,
        flagged: 8,
        params: { k: 10, metric: 'cosine' },
      },
      {
        id: 'trigger-mining',
        status: 'skipped',
        durationMs: 0,
        flagged: 0,
        params: {},
        reason: 'requires text; the dataset has no text column',
      },
      {
        id: 'spectral-signature',
        status: 'failed',
        durationMs: 17,
        flagged: 0,
        params: { components: 1 },
        reason: 'power iteration did not converge',
      },
    ],
    records,
    summary: {
      flagged: count((record) => record.flagged),
      operatingPoint: { flagAbove: 0.5, mediumAbove: 0.7, highAbove: 0.9 },
      bySeverity: {
        high: count((record) => record.severity === 'high'),
        medium: count((record) => record.severity === 'medium'),
        low: count((record) => record.severity === 'low'),
      },
      byKind: { label_issue: 8 } as Partial<Record<FindingKind, number>>,
      bySource: group((record) => record.source ?? ''),
      byLabel: group((record) => record.label ?? ''),
    },
  }
}

/** The HTML of the `<details>` group whose summary names `text`. */
function groupNamed(html: string, text: string): string {
  const at = html.indexOf(text, html.indexOf('id="findings"'))
  expect(at).toBeGreaterThan(0)
  return html.slice(html.lastIndexOf('<details', at), html.indexOf('</details>', at))
}

/** The CSV behind the page's download link. */
function downloadedCsv(html: string): string {
  const match = /href="data:text\/csv;charset=utf-8;base64,([^"]+)" download="flagged-records.csv"/.exec(html)
  expect(match).not.toBeNull()
  return Buffer.from(match![1], 'base64').toString('utf8')
}

describe('renderHtmlReport', () => {
  const report = buildReport()
  const html = renderHtmlReport(report)

  it('renders every section with the expected numbers, the verdict first', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true)
    for (const id of [
      'verdict',
      'findings',
      'scores',
      'distribution',
      'detectors',
      'labels',
      'kinds',
      'sources',
    ])
      expect(html).toContain(`id="${id}"`)
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('id="findings"'))
    expect(html).toContain('8 of 500 records flagged (1.6%)')
    expect(html).toContain('ab'.repeat(32))
    expect(html).toContain('poisonguard 0.1.0')
    expect(html).toContain('2025-06-01T12:00:00.000Z')
    expect(html).toContain('3 rows had an empty label and were dropped')
    expect(html).toMatch(
      /<th scope="row">mallory<\/th><td class="num">100<\/td><td class="num">1<\/td><td class="num">1%/,
    )
    expect(html).toMatch(
      /<th scope="row">0<\/th><td class="num">166<\/td><td class="num">3<\/td><td class="num">1.8%/,
    )
    expect(html).toContain('<span class="kind">label_issue</span></th>')
  })

  it('shows detector status, reasons and parameters', () => {
    expect(html).toContain('<span class="badge status-skipped">skipped</span>')
    expect(html).toContain('requires text; the dataset has no text column')
    expect(html).toContain('<span class="badge status-failed">failed</span>')
    expect(html).toContain('power iteration did not converge')
    expect(html).toContain('<span class="chip-key">metric</span>=cosine')
    expect(html).toContain('1.23 s')
  })

  it('draws the histogram with the threshold at the lowest flagged suspicion', () => {
    expect(html).toContain('<svg class="chart"')
    expect(html).toContain('lowest flagged 0.720')
    const withThreshold = renderHtmlReport(report, { flagThreshold: 0.7 })
    expect(withThreshold).toContain('flag threshold 0.700')
    // Bins of one flagged record next to a bin of hundreds would vanish on a linear axis.
    expect(html).toContain('records (log scale)')
    // 20 bins in the fallback table; the flagged column sums to the flagged count.
    const start = html.indexOf('Records per suspicion bin')
    const binTable = html.slice(start, html.indexOf('</details>', start))
    const flaggedCells = [...binTable.matchAll(/<td class="num">([\d,]+)<\/td><\/tr>/g)].map((m) =>
      Number(m[1]),
    )
    expect(flaggedCells).toHaveLength(20)
    expect(flaggedCells.reduce((a, b) => a + b, 0)).toBe(8)
  })

  it('is self-contained: no external URLs, no script, and a CSP that forbids network access', () => {
    expect(html).not.toContain('http://')
    expect(html).not.toContain('https://')
    expect(html).not.toContain('src="//')
    expect(html).not.toMatch(/<link\b/)
    expect(html).toContain("default-src 'none'")
    expect(html).toContain("script-src 'none'")
    expect(html).not.toContain('<script')
  })

  it('escapes every user-provided string', () => {
    expect(html).not.toContain(INJECTION)
    expect(html).not.toContain(ATTRIBUTE_INJECTION)
    expect(html).not.toContain('<img src=x')
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;')
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;')
  })

  it('groups flagged records by finding and label, collapsed, each explanation once', () => {
    const groups = html.match(/<details class="group"/g) ?? []
    // Every flagged record is suggested 7: one group per given label (0, 1, 2 and the injected one).
    expect(groups).toHaveLength(4)
    const labelOne = groupNamed(html, 'labelled 1, suggested 7')
    expect(labelOne.match(/labelled 1 but 9 of 10 neighbours are 7/g)).toHaveLength(1)
    const suspicions = [...labelOne.matchAll(/<td class="num">([\d.]+)<\/td>/g)].map((m) => Number(m[1]))
    expect(suspicions).toEqual([...suspicions].sort((a, b) => b - a))
    expect(labelOne).toContain('rec-301')
    expect(labelOne).not.toContain('rec-0<')
  })

  it('caps each group at topCount and says how many were left out', () => {
    const capped = renderHtmlReport(report, { topCount: 1 })
    expect(groupNamed(capped, 'labelled 1, suggested 7')).toContain('The 1 most suspicious of 3')
  })

  it('offers every flagged id as a CSV download', () => {
    const lines = downloadedCsv(html).trim().split('\r\n')
    expect(lines[0]).toBe('id,label,suggested_label,suspicion,severity,source')
    expect(lines).toHaveLength(9)
    expect(lines[1]).toBe('rec-301,1,7,0.990000,high,alice')
    expect(lines.some((line) => line.startsWith(`"${INJECTION.replaceAll('"', '""')}"`))).toBe(true)
  })

  it('embeds thumbnails as data URIs and escaped text snippets for grouped records only', () => {
    const requested = new Set<number>()
    const png = encodeGrayscalePng(new Float32Array(28 * 28).fill(0.5), 28, 28, 2)
    const withPreviews = renderHtmlReport(report, {
      thumbnail: (row) => {
        requested.add(row)
        return png
      },
      text: (row) => (row === 42 ? `${'x'.repeat(400)} ${INJECTION}` : `email   body\n of ${row}`),
    })
    expect([...requested].sort((a, b) => a - b)).toEqual([7, 42, 99, 150, 222, 301, 404, 499])
    const base64 = Buffer.from(png).toString('base64')
    expect(withPreviews).toContain(
      `src="data:image/png;base64,${base64}" width="56" height="56" alt="Record rec-301 · 1"`,
    )
    expect(withPreviews).not.toContain(INJECTION)
  })

  it('says so when nothing is flagged and there are no sources', () => {
    const clean = buildReport()
    for (const record of clean.records) record.flagged = false
    clean.summary = { ...clean.summary, flagged: 0, bySeverity: { high: 0, medium: 0, low: 0 }, bySource: {} }
    const cleanHtml = renderHtmlReport(clean)
    expect(cleanHtml).toContain('0 of 500 records flagged')
    expect(cleanHtml).toContain('No records were flagged')
    expect(cleanHtml).not.toContain('flagged-records.csv')
    expect(cleanHtml).not.toContain('id="sources"')
    expect(cleanHtml).not.toContain('lowest flagged')
  })

  it('stays small for a million records', () => {
    const base = buildReport()
    const records: RecordReport[] = new Array(1_000_000)
    const finding = { detector: 'outliers', kind: 'outlier' as const, score: 0.97, explanation: 'far out' }
    for (let row = 0; row < records.length; row++) {
      const suspicion = ((row * 7919) % 1_000_003) / 1_000_003
      const flagged = suspicion > 0.95
      records[row] = {
        id: String(row),
        suspicion,
        flagged,
        severity: null,
        findings: flagged ? [finding] : [],
      }
    }
    const flagged = records.filter((record) => record.flagged).length
    const big = renderHtmlReport({ ...base, records, summary: { ...base.summary, flagged } })
    expect(big.length).toBeLessThan(800_000)
    expect(big).toContain('>records</text>')
    expect(big).toContain(`${flagged.toLocaleString('en-US')} of 1,000,000 records flagged`)
    expect(big).toContain(`The 50 most suspicious of ${flagged.toLocaleString('en-US')}`)
    expect(downloadedCsv(big).trim().split('\r\n')).toHaveLength(10_001)
    expect(big).toContain(`the 10,000 most suspicious of ${flagged.toLocaleString('en-US')} flagged records`)
  })
})
