import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { CheckReport } from '../../src/drift/types.js'
import { createRng } from '../../src/util/rng.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const runDriftCli = runCli

const path = useTemporaryFolder()

interface RowOptions {
  rows: number
  seed: number
  /** Added to x for rows of source "bob". */
  bobShift?: number
  /** Share of label "b". */
  bShare?: number
  columns?: string[]
}

/** A CSV with id, label, source and three features: x normal, y uniform in [0, 10), n a count in 0..3. */
function writeCsv(file: string, options: RowOptions): string {
  const rng = createRng(options.seed)
  const columns = options.columns ?? ['id', 'label', 'source', 'x', 'y', 'n']
  const lines = [columns.join(',')]
  for (let row = 0; row < options.rows; row++) {
    const source = row % 2 === 0 ? 'alice' : 'bob'
    const values: Record<string, string> = {
      id: `${file}-${row}`,
      label: rng.next() < (options.bShare ?? 0.3) ? 'b' : 'a',
      source,
      x: String(rng.normal() + (source === 'bob' ? (options.bobShift ?? 0) : 0)),
      y: String(10 * rng.next()),
      n: String(rng.int(4)),
      z: String(rng.next()),
      t: 'word',
    }
    lines.push(columns.map((column) => values[column]).join(','))
  }
  const target = path(file)
  writeFileSync(target, `${lines.join('\n')}\n`)
  return target
}

function readReport(file: string): CheckReport {
  return JSON.parse(readFileSync(file, 'utf8')) as CheckReport
}

describe('poisonguard check', () => {
  const reference = writeCsv('reference.csv', { rows: 3000, seed: 1 })

  it('finds nothing in a batch from the same distribution and exits 0 even with --fail-on low', async () => {
    const batch = writeCsv('same.csv', { rows: 1500, seed: 2 })
    const out = path('same.json')
    const result = await runDriftCli(
      'check',
      batch,
      '--reference',
      reference,
      '--out',
      out,
      '--fail-on',
      'low',
      '--permutations',
      '50',
    )
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    const report = readReport(out)
    expect(report.summary.drifted).toBe(false)
    expect(report.findings).toEqual([])
    expect(report.tests.map((test) => test.id)).toEqual(
      expect.arrayContaining([
        'feature:x',
        'feature:y',
        'feature:n',
        'label',
        'source-mix',
        'features:mmd',
        'feature:x@bob',
      ]),
    )
    expect(report.tests.find((test) => test.id === 'feature:n')?.test).toBe('chi-square')
    expect(result.stdout).toContain('No drift, and the batch follows the schema.')
  })

  it('names the shifted source and the label prior, writes HTML, and exits 3 with --fail-on high', async () => {
    const batch = writeCsv('shifted.csv', { rows: 1500, seed: 3, bobShift: 1, bShare: 0.45 })
    const out = path('shifted.json')
    const html = path('shifted.html')
    const result = await runDriftCli(
      'check',
      batch,
      '--reference',
      reference,
      '--out',
      out,
      '--html',
      html,
      '--fail-on',
      'high',
      '--permutations',
      '50',
    )
    expect(result.exitCode).toBe(3)
    const report = readReport(out)
    const significant = new Set(report.tests.filter((test) => test.significant).map((test) => test.id))
    expect(significant).toContain('feature:x@bob')
    expect(significant).not.toContain('feature:x@alice')
    expect(significant).toContain('label')
    const prior = report.tests.find((test) => test.id === 'label')!
    expect(prior.severity).toBe('high')
    expect(prior.effects.maxShareChange).toBeGreaterThan(0.1)
    expect(report.findings[0].severity).toBe('high')
    expect(report.findings.some((finding) => finding.kind === 'drift' && finding.source === 'bob')).toBe(true)
    const page = readFileSync(html, 'utf8')
    expect(page).toContain('<svg class="mini"')
    expect(page).toContain('Label priors')
    expect(page).not.toContain('<script')
    expect(result.stdout).toMatch(/high\s+drift/)
  })

  it('reports missing, extra and retyped columns as schema findings, not errors', async () => {
    const batch = writeCsv('columns.csv', {
      rows: 500,
      seed: 4,
      columns: ['id', 'label', 'source', 'x', 'z', 't'],
    })
    const retyped = path('retyped.csv')
    writeFileSync(
      retyped,
      readFileSync(batch, 'utf8').replace(/^id,label,source,x,z,t/, 'id,label,source,x,z,n'),
    )
    const out = path('columns.json')
    const result = await runDriftCli(
      'check',
      retyped,
      '--reference',
      reference,
      '--out',
      out,
      '--no-mmd',
      '--permutations',
      '20',
    )
    expect(result.exitCode).toBe(0)
    const explanations = readReport(out)
      .findings.filter((finding) => finding.kind === 'schema')
      .map((finding) => finding.explanation)
    expect(explanations).toEqual(
      expect.arrayContaining([
        'column "y" is missing from the batch',
        'column "n" changed type: numeric in the schema, text in the batch',
        'column "z" is in the batch but not in the schema',
      ]),
    )
  })

  it('validates rows against an edited schema file and lists the rows with ids', async () => {
    const schemaFile = path('schema.json')
    const inferred = await runDriftCli('schema', 'infer', reference, '--out', schemaFile)
    expect(inferred.exitCode).toBe(0)
    expect(inferred.stdout).toContain('3 features')
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8'))
    expect(
      schema.features.map((feature: { name: string; type: string }) => [feature.name, feature.type]),
    ).toEqual([
      ['x', 'number'],
      ['y', 'number'],
      ['n', 'categorical'],
    ])
    expect(schema.label.classes).toEqual(['a', 'b'])
    schema.features[1].max = 5
    writeFileSync(schemaFile, JSON.stringify(schema))
    const batch = writeCsv('rows.csv', { rows: 400, seed: 5 })
    const out = path('rows.json')
    const result = await runDriftCli(
      'check',
      batch,
      '--reference',
      reference,
      '--schema',
      schemaFile,
      '--out',
      out,
      '--no-mmd',
      '--permutations',
      '20',
    )
    expect(result.exitCode).toBe(0)
    const report = readReport(out)
    expect(report.schema).toEqual({ origin: 'file', path: schemaFile })
    const aboveFive = report.records.filter((record) =>
      record.findings.some((finding) => /^y = .* is above the maximum 5$/.test(finding.explanation)),
    )
    expect(aboveFive.length).toBeGreaterThan(150)
    expect(aboveFive[0].id).toMatch(/^rows\.csv-\d+$/)
    expect(report.summary.schemaRows).toBe(report.records.length)
  })

  it('rejects a broken schema file with the JSON path of every problem', async () => {
    const schemaFile = path('broken.json')
    writeFileSync(
      schemaFile,
      JSON.stringify({
        version: 1,
        features: [
          { name: 'x', type: 'number', min: 'low' },
          { name: 'y', type: 'real' },
        ],
      }),
    )
    const result = await runDriftCli('check', reference, '--reference', reference, '--schema', schemaFile)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('broken.json, features[0].min:')
    expect(result.stderr).toContain('features[1].type')
  })

  it('rejects an α outside (0, 1)', async () => {
    const result = await runDriftCli('check', reference, '--reference', reference, '--alpha', '2')
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('expected a number between 0 and 1')
  })
})
