import { describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../../test/fixtures/datasets.js'
import type { RecordReport, ScanReport } from '../../domain/index.js'
import { scanReportWriters } from './index.js'

const SIDE = 8

/** Four 8×8 images of two classes; rows 1 and 3 flagged. */
function scanned(): { report: ScanReport; dataset: ReturnType<typeof inMemoryDataset> } {
  const data = Float32Array.from({ length: 4 * SIDE * SIDE }, (_, index) => (index % 7) / 7)
  const dataset = inMemoryDataset({
    features: { data, rows: 4, cols: SIDE * SIDE },
    labels: ['a', 'b', 'a', 'b'],
    imageShape: { width: SIDE, height: SIDE },
  })
  const records: RecordReport[] = dataset.ids.map((id, row) => ({
    id,
    suspicion: row % 2 === 1 ? 0.9 : 0.1,
    flagged: row % 2 === 1,
    severity: row % 2 === 1 ? 'high' : null,
    label: row % 2 === 1 ? 'b' : 'a',
    findings:
      row % 2 === 1
        ? [{ detector: 'outliers', kind: 'outlier', score: 0.9, explanation: 'far from its class' }]
        : [],
  }))
  const report: ScanReport = {
    tool: { name: 'poisonguard', version: '0.0.0' },
    createdAt: '2026-01-01T00:00:00.000Z',
    dataset: {
      path: 'images.csv',
      format: 'csv',
      rows: 4,
      labels: { a: 2, b: 2 },
      sha256: '0'.repeat(64),
      featureCount: SIDE * SIDE,
      warnings: [],
    },
    detectors: [],
    records,
    summary: {
      flagged: 2,
      operatingPoint: { flagAbove: 0.625, mediumAbove: 0.7, highAbove: 0.8 },
      bySeverity: { low: 0, medium: 0, high: 2 },
      byKind: {},
      bySource: {},
      byLabel: { a: { rows: 2, flagged: 0 }, b: { rows: 2, flagged: 2 } },
    },
  }
  return { report, dataset }
}

describe('scan report writers', () => {
  const { report, dataset } = scanned()

  it('are registered under their own id with a file extension', () => {
    for (const [id, writer] of Object.entries(scanReportWriters)) {
      expect(writer.id).toBe(id)
      expect(writer.extension).toBe(`.${id}`)
    }
  })

  it('write JSON that parses back to the same report', () => {
    const text = scanReportWriters.json.render(report, {}) as string
    expect(text.endsWith('}\n')).toBe(true)
    expect(JSON.parse(text)).toEqual(report)
  })

  it('write HTML with the flag threshold, and thumbnails of flagged images when given the dataset', () => {
    const withDataset = scanReportWriters.html.render(report, { dataset }) as string
    const bare = scanReportWriters.html.render(report, {}) as string
    expect(withDataset).toContain('flag threshold (0.625)')
    expect(withDataset.match(/src="data:image\/png;base64,/g)).toHaveLength(2)
    expect(bare).not.toContain('data:image/png')
  })
})
