import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { mixedDataset } from '../../../test/fixtures/datasets.js'
import { useTemporaryFolder } from '../../../test/fixtures/files.js'
import type { Dataset } from '../../data/dataset.js'
import type { ScanReport } from '../../domain/index.js'
import { adapterOf } from '../../io/formats/index.js'
import { scanFile } from '../../workflows/scan-file.js'
import { writeScanOutputs } from '../../workflows/scan-outputs.js'
import { jsonReportLines, jsonWriter } from './json.js'

const temporary = useTemporaryFolder()

function streamed(value: unknown): string {
  return `${[...jsonReportLines(value)].join('\n')}\n`
}

describe('the JSON report written line by line', () => {
  it('spells any value as render does: nested arrays and objects, empty ones, and left-out fields', () => {
    const value = fc.oneof(
      fc.jsonValue(),
      fc.constant(undefined),
      fc.constant(() => 1),
    )
    const report = fc.oneof(
      fc.dictionary(fc.string(), fc.oneof(value, fc.array(value))),
      fc.jsonValue(),
      fc.constant(new Date(0)),
    )
    fc.assert(fc.property(report, (report) => streamed(report) === jsonWriter.render(report, {})))
    // Long arrays are stringified a piece at a time; pieces must join as one array would.
    const long = {
      n: 1,
      rows: Array.from({ length: 2_500 }, (_, row) => (row % 7 ? { row, x: [row] } : undefined)),
    }
    expect(streamed(long)).toBe(jsonWriter.render(long, {}))
  })

  let dataset: Dataset
  let report: ScanReport

  beforeAll(async () => {
    const input = temporary('mixed.csv')
    await adapterOf('csv').write(mixedDataset(300), input)
    const result = await scanFile(input, { detectors: ['label-issues', 'knn-label-consistency'] })
    if (result.status !== 'scanned') throw new Error(`not scanned: ${result.status}`)
    dataset = result.dataset
    report = result.report
  }, 120_000)

  it('writes a scan report with the bytes render gives', async () => {
    expect(report.records).toHaveLength(300)
    expect(report.records.some((record) => record.findings.length > 0)).toBe(true)
    const path = temporary('report.json')
    await writeScanOutputs(dataset, report, { report: path })
    expect(readFileSync(path, 'utf8')).toBe(jsonWriter.render(report, {}))
    const tiled = { ...report, records: Array.from({ length: 5_000 }, (_, row) => report.records[row % 300]) }
    expect(streamed(tiled)).toBe(jsonWriter.render(tiled, {}))
  })

  it('leaves no partial file and keeps the replaced one when the write fails past its first chunk', async () => {
    const folder = temporary('failing')
    const path = `${folder}/report.json`
    // Enough records for several mebibyte chunks to be on disk when the last one cannot be written.
    const records = Array.from({ length: 12_000 }, (_, row) => ({
      ...report.records[row % 300],
      id: `r${row}`,
    }))
    const broken = { ...report, records: [...records, { ...records[0], id: 1n }] } as unknown as ScanReport
    mkdirSync(folder)
    writeFileSync(path, 'the earlier report\n')
    const failed = writeScanOutputs(dataset, broken, { report: path })
    await expect(failed).rejects.toMatchObject({ code: 'OUTPUT_ERROR', message: /BigInt/ })
    expect(readdirSync(folder)).toEqual(['report.json'])
    expect(readFileSync(path, 'utf8')).toBe('the earlier report\n')
  })
})
