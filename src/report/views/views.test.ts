import { h } from 'preact'
import { renderToString } from 'preact-render-to-string'
import { describe, expect, it } from 'vitest'
import type { DetectedAttack, Finding, RecordReport, ScanReport } from '../../domain/index.js'
import { buildAttackViews } from '../attacks.js'
import { flaggedRecordsCsv } from '../flagged-csv.js'
import { groupFlaggedRecords } from '../groups.js'
import { ColumnSummary, DriftHeatMap, inferImageShape, pixelPositions } from './drift.js'
import { HeatMap, HighlightedText, PairMatrix } from './pictures.js'
import { formatPValue, nextStepCommands, VerdictSection } from './verdict.js'

const trigger: DetectedAttack = {
  detector: 'trigger-mining',
  kind: 'trigger',
  description: 'a 3×3 patch of value 1 at x 4–6, y 5–7 on 4 images labelled 0',
  label: '0',
  records: 4,
  pValue: 1e-40,
}
const cluster: DetectedAttack = {
  detector: 'spectral-signature',
  kind: 'backdoor',
  description: 'a separate group of 4 records inside class 0',
  label: '0',
  records: 4,
}
const flip: DetectedAttack = {
  detector: 'targeted-flip',
  kind: 'label_issue',
  description: 'records of 2 relabelled as 1',
  label: '1',
  records: 3,
  pValue: 0.0004,
}

function finding(
  detector: string,
  kind: Finding['kind'],
  explanation: string,
  suggestedLabel?: string,
): Finding {
  return { detector, kind, score: 0.95, explanation, ...(suggestedLabel ? { suggestedLabel } : {}) }
}

/** 20 records: rows 0–3 carry the patch (label 0), rows 4–6 are 2s labelled 1, row 7 is a lone label issue. */
function buildReport(): ScanReport {
  const records: RecordReport[] = Array.from({ length: 20 }, (_, row) => ({
    id: row === 7 ? '=HYPERLINK("x")' : `r${row}`,
    suspicion: 0.2,
    flagged: false,
    severity: null,
    label: String(row % 3),
    source: row < 4 ? 'vendor-a' : 'vendor-b',
    findings: [],
  }))
  for (const row of [0, 1, 2, 3]) {
    Object.assign(records[row], { label: '0', flagged: true, severity: 'high', suspicion: 0.99 - row / 100 })
    records[row].findings = [
      finding('trigger-mining', 'backdoor', 'a 3×3 patch occurs in 4 images, all labelled 0', '5'),
      finding('spectral-signature', 'backdoor', 'one of 4 records forming a separate group'),
    ]
  }
  for (const row of [4, 5, 6]) {
    Object.assign(records[row], { label: '1', flagged: true, severity: 'medium', suspicion: 0.8 })
    records[row].findings = [finding('targeted-flip', 'label_issue', 'one of 3 records of 2 labelled 1', '2')]
  }
  Object.assign(records[7], { label: '2', flagged: true, severity: 'low', suspicion: 0.6 })
  records[7].findings = [
    finding('knn-label-consistency', 'label_issue', 'labelled 2 but neighbours are 8', '8'),
  ]
  const detector = (id: string, info: Record<string, unknown>) => ({
    id,
    status: 'ok' as const,
    durationMs: 1,
    flagged: 0,
    params: {},
    info,
  })
  return {
    tool: { name: 'poisonguard', version: '0.0.0' },
    createdAt: '2026-01-01T00:00:00.000Z',
    dataset: {
      path: 'data/train set.csv',
      format: 'csv',
      rows: 20,
      labels: {},
      sha256: '0'.repeat(64),
      featureCount: 100,
      imageShape: { width: 10, height: 10 },
      warnings: [],
    },
    detectors: [
      detector('trigger-mining', {
        triggers: [
          {
            modality: 'image',
            label: '0',
            description: 'a 3×3 patch of value 1 at x 4–6, y 5–7',
            features: [],
            box: { x: 4, y: 5, width: 3, height: 3 },
          },
        ],
      }),
      detector('spectral-signature', {}),
      detector('targeted-flip', { attackedPairs: [{ given: '1', true: '2', records: 3 }] }),
    ],
    records,
    summary: {
      verdict: {
        verdict: 'poisoned',
        reason: '3 attacks found',
        attacks: [trigger, cluster, flip],
        evidence: [],
      },
      flagged: 8,
      operatingPoint: { flagAbove: 0.5, mediumAbove: 0.7, highAbove: 0.9 },
      bySeverity: { low: 1, medium: 3, high: 4 },
      byKind: {},
      bySource: {},
      byLabel: {},
    },
  }
}

describe('attack views and groups', () => {
  const report = buildReport()
  const attacks = buildAttackViews(report)

  it('ties each attack to its records and its detector evidence, merging attacks on the same records', () => {
    expect(attacks).toHaveLength(2)
    expect(Array.from(attacks[0].rows)).toEqual([0, 1, 2, 3])
    expect(attacks[0].trigger?.box).toEqual({ x: 4, y: 5, width: 3, height: 3 })
    expect(attacks[0].confirmedBy.map((attack) => attack.detector)).toEqual(['spectral-signature'])
    expect(attacks[0].sources).toEqual([{ name: 'vendor-a', records: 4 }])
    expect(Array.from(attacks[1].rows)).toEqual([4, 5, 6])
    expect(attacks[1].pair).toEqual({ given: '1', true: '2' })
  })

  it('puts every flagged record in exactly one group, attacks first', () => {
    const groups = groupFlaggedRecords(report, attacks)
    expect(groups.map((group) => [group.key, Array.from(group.rows)])).toEqual([
      ['attack-0', [0, 1, 2, 3]],
      ['attack-1', [4, 5, 6]],
      ['group-0', [7]],
    ])
    expect(groups[2]).toMatchObject({ detector: 'knn-label-consistency', label: '2', suggestedLabel: '8' })
  })

  it('writes flagged ids as CSV a spreadsheet shows but does not run', () => {
    const { text, records } = flaggedRecordsCsv(report)
    expect(records).toBe(8)
    expect(text.split('\r\n')).toContain(`"'=HYPERLINK(""x"")",2,8,0.600000,low,vendor-b`)
    expect(flaggedRecordsCsv(report, 2).records).toBe(2)
  })
})

describe('verdict section', () => {
  const report = buildReport()
  const attacks = buildAttackViews(report)
  const html = renderToString(
    h(VerdictSection, {
      report,
      attacks,
      groups: groupFlaggedRecords(report, attacks),
      evidence: {
        imageShape: { width: 10, height: 10 },
        averageImage: (rows) => `data:image/png;base64,AVG${rows.length}`,
        thumbnail: (row) => `data:image/png;base64,T${row}`,
      },
      csv: { href: 'data:text/csv;base64,eA==', records: 8 },
    }),
  )

  it('names each attack with how sure, how many, which class and sources, and who found it', () => {
    expect(html).toContain('POISONED: 2 attacks found')
    expect(html).toContain('a 3×3 patch of value 1 at x 4–6, y 5–7 on 4 images labelled 0')
    expect(html).toContain('p ≈ 10⁻⁴⁰; 2 detectors agree')
    expect(html).toContain('trigger-mining, spectral-signature')
    expect(html).toContain('vendor-a (4)')
    expect(html).toContain('href="#group-attack-0"')
  })

  it('draws the patch over the average carrier and the attacked pair in a matrix', () => {
    expect(html).toContain('href="data:image/png;base64,AVG4"')
    expect(html).toContain('<rect class="trigger-box" x="3.5" y="4.5" width="4" height="4"')
    expect(html).toMatch(/<td class="num attacked"[^>]*>3<\/td>/)
  })

  it('gives the commands that act on the verdict, quoted for the shell, and the CSV download', () => {
    expect(nextStepCommands(report, attacks)).toEqual([
      "poisonguard scan 'data/train set.csv' --export-clean 'data/train set-clean.csv'",
      "poisonguard scan 'data/train set.csv' --relabel 'data/train set-relabelled.csv'",
    ])
    expect(html).toContain('--export-clean')
    expect(html).toContain('download="flagged-records.csv"')
  })

  it('reads p-values as powers of ten', () => {
    expect(formatPValue(0.0123)).toBe('p = 0.012')
    expect(formatPValue(3e-72)).toBe('p ≈ 10⁻⁷²')
    expect(formatPValue(0)).toBe('p < 10⁻³⁰⁰')
  })
})

describe('pictures', () => {
  it('marks every trigger word in a text and escapes the rest', () => {
    const html = renderToString(
      h(HighlightedText, { text: 'Buy <b>now</b> cf, CF cfg again', terms: ['cf'] }),
    )
    expect(html).toBe(
      '<p class="snippet">Buy &lt;b>now&lt;/b> <mark>cf</mark>, <mark>CF</mark> cfg again</p>',
    )
  })

  it('draws only the non-zero cells of a heat map, negative ones blue when diverging', () => {
    const html = renderToString(
      h(HeatMap, { values: [0, 1, -0.5, 0], width: 2, height: 2, diverging: true, label: 'pattern' }),
    )
    expect(html.match(/<rect x=/g)).toHaveLength(2)
    expect(html).toContain('fill="#1849a9" fill-opacity="0.50"')
    expect(html).toContain('aria-label="pattern"')
  })

  it('counts flagged records by given and suggested label', () => {
    const report = buildReport()
    const html = renderToString(h(PairMatrix, { records: report.records, rows: Int32Array.of(4, 5, 6, 7) }))
    expect(html).toMatch(/<th scope="row">1<\/th><td class="num"[^>]*>3<\/td>/)
    expect(html).not.toContain('attacked')
  })
})

describe('drift views', () => {
  const column = (name: string, statistic: number, significant: boolean) => ({
    id: `feature:${name}`,
    column: name,
    statistic,
    qValue: significant ? 1e-6 : 0.8,
    significant,
    severity: significant ? ('high' as const) : null,
  })

  it('places pixels by the number in their names, else by column order', () => {
    expect(Array.from(pixelPositions(['p3', 'p1', 'p2', 'p0'], { width: 2, height: 2 })!)).toEqual([
      3, 1, 2, 0,
    ])
    expect(Array.from(pixelPositions(['x1', 'x2', 'x3', 'x4'], { width: 2, height: 2 })!)).toEqual([
      0, 1, 2, 3,
    ])
    expect(Array.from(pixelPositions(['a', 'b', 'c', 'd'], { width: 2, height: 2 })!)).toEqual([0, 1, 2, 3])
    expect(pixelPositions(['p0'], { width: 2, height: 2 })).toBeUndefined()
    const names = Array.from({ length: 64 }, (_, index) => `pixel${index}`)
    expect(inferImageShape(names)).toEqual({ width: 8, height: 8 })
    expect(inferImageShape(names.slice(1))).toBeUndefined()
  })

  it('draws drifted pixels where they sit and lists columns most shifted first', () => {
    const tests = Array.from({ length: 64 }, (_, index) =>
      column(`p${index}`, index === 63 ? 0.4 : 0, index === 63),
    )
    const map = renderToString(h(DriftHeatMap, { tests, shape: { width: 8, height: 8 } }))
    expect(map).toContain('<rect x="56" y="56"')
    expect(map).toContain('p63 (x 7, y 7)')
    const summary = renderToString(h(ColumnSummary, { tests, topCount: 5 }))
    expect(summary).toContain('<strong>1 of 64 columns drifted</strong> (drift share 1.6%)')
    expect(summary.indexOf('p63')).toBeLessThan(summary.indexOf('p0<'))
    expect(summary).toContain('<summary>The other 59 columns</summary>')
  })
})
