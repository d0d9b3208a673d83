import { readFileSync } from 'node:fs'
import AjvDraft04 from 'ajv-draft-04'
import ajvFormats from 'ajv-formats'
import { beforeAll, describe, expect, it } from 'vitest'
import { mnistDataset } from '../../../test/fixtures/datasets.js'
import { applyAttack } from '../../attacks/index.js'
import type { ScanReport } from '../../domain/index.js'
import { createPortableBackend } from '../../linalg/portable.js'
import { scanDataset } from '../../scan/scan.js'
import { sarifWriter } from './sarif.js'

/** The OASIS SARIF 2.1.0 schema, as shipped in the `@microsoft/jest-sarif` package. */
const schema = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/sarif-2.1.0.schema.json', import.meta.url), 'utf8'),
)
// The schema's language-tag pattern is not valid under the `u` flag Ajv uses by default.
// Both packages are CommonJS; under NodeNext their classes sit on `default`.
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false })
const validate = ajvFormats.default(ajv).compile(schema)

interface SarifResult {
  ruleId: string
  ruleIndex: number
  level: string
  message: { text: string }
  locations: {
    physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } }
    logicalLocations: { name: string; fullyQualifiedName: string }[]
  }[]
}

function renderSarif(report: ScanReport) {
  const log = JSON.parse(sarifWriter.render(report, {}) as string)
  return { log, run: log.runs[0], results: log.runs[0].results as SarifResult[] }
}

let report: ScanReport

beforeAll(async () => {
  const flipped = applyAttack('label-flip', mnistDataset(300), { rate: 0.1 }, 2).dataset
  report = await scanDataset(flipped, {
    backend: createPortableBackend(),
    detectors: ['knn-label-consistency', 'near-duplicates'],
    // A lenient false-discovery rate so that 300 records give flagged results to write.
    fdr: 0.2,
    createdAt: new Date('2026-01-01T00:00:00Z'),
  })
})

describe('SARIF writer', () => {
  it('writes a log the SARIF 2.1.0 schema accepts, one result per flagged record', () => {
    const { log, results } = renderSarif(report)
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true)
    const withoutMessage = { ...results[0], message: undefined }
    expect(validate({ ...log, runs: [{ ...log.runs[0], results: [withoutMessage] }] })).toBe(false)
    expect(report.summary.flagged).toBeGreaterThan(0)
    expect(results).toHaveLength(report.summary.flagged)
  })

  it('names each record, its strongest detector as the rule and its severity as the level', () => {
    const { run, results } = renderSarif(report)
    const flagged = report.records.flatMap((record, row) => (record.flagged ? [{ record, row }] : []))
    const levels = { low: 'note', medium: 'warning', high: 'error' }
    for (const [index, { record, row }] of flagged.entries()) {
      const result = results[index]
      const strongest = [...record.findings].sort((a, b) => b.score - a.score)[0]
      expect(result.ruleId).toBe(strongest?.detector ?? 'fused-suspicion')
      expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId)
      expect(result.level).toBe(levels[record.severity ?? 'low'])
      expect(result.locations[0].logicalLocations[0]).toMatchObject({
        name: record.id,
        fullyQualifiedName: `records[${row}]`,
      })
      expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('memory:mnist')
      for (const finding of record.findings) expect(result.message.text).toContain(finding.explanation)
    }
  })

  it('describes every detector of the scan as a rule, with its summary from the registry', () => {
    const { run } = renderSarif(report)
    const rules = run.tool.driver.rules as { id: string; shortDescription: { text: string } }[]
    expect(rules.map((rule) => rule.id)).toEqual([
      'knn-label-consistency',
      'near-duplicates',
      'fused-suspicion',
    ])
    expect(rules[0].shortDescription.text).not.toContain('poisonguard detector')
  })

  it('points at the line of a JSON Lines record, and encodes paths as URIs', () => {
    const dataset = { ...report.dataset, path: 'data dir\\train.jsonl', format: 'jsonl' }
    const { log, results } = renderSarif({ ...report, dataset })
    expect(validate(log)).toBe(true)
    const row = report.records.findIndex((record) => record.flagged)
    expect(results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'data%20dir/train.jsonl' },
      region: { startLine: row + 1 },
    })
  })
})
