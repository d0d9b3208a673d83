import { readFile, writeFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Finding, RecordReport, ScanReport } from '../../src/domain/index.js'
import { relabelPlan } from '../../src/index.js'
import { builtinDatasets } from '../../src/io/builtin/index.js'
import { loadDataset } from '../../src/io/index.js'
import { writeScanOutputs } from '../../src/workflows/scan-outputs.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { type CliRun, runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T
}

async function attack(kind: string, input: string, name: string, ...flags: string[]): Promise<string[]> {
  const run = await runCli(
    'attack',
    kind,
    input,
    '--out',
    temporary(name),
    '--truth',
    temporary(`${name}.json`),
    ...flags,
  )
  expect(run.stderr).toBe('')
  return readJson<string[]>(temporary(`${name}.json`))
}

function labelsById(dataset: Awaited<ReturnType<typeof loadDataset>>): Map<string, string> {
  const labels = dataset.labels!
  return new Map(dataset.ids.map((id, row) => [id, labels.classes[labels.codes[row]]]))
}

describe('scan --relabel on planted poison', () => {
  let original: Map<string, string>
  let flipped: string[]
  let flood: string[]
  let run: CliRun
  let report: ScanReport
  let relabelled: Map<string, string>

  beforeAll(async () => {
    const input = temporary('mnist.csv')
    await builtinDatasets.mnist.write(input, { limit: 4000 })
    original = labelsById(await loadDataset(input))
    const sevens = [...original.values()].filter((label) => label === '7').length
    // 30% of the sevens relabelled 1, then a flood of near-copies of 4 records with one wrong label each
    const flipRate = ((0.3 * sevens) / original.size).toFixed(4)
    flipped = await attack('label-flip', input, 'flipped.csv', '--from', '7', '--to', '1', '--rate', flipRate)
    const floodFlags = ['--rate', '0.02', '--param', 'mode=flood', '--param', 'seeds=4', '--seed', '5']
    flood = await attack('availability', temporary('flipped.csv'), 'poisoned.csv', ...floodFlags)
    run = await runCli(
      'scan',
      temporary('poisoned.csv'),
      '--out',
      temporary('report.json'),
      '--relabel',
      temporary('relabelled.csv'),
      '--quiet',
    )
    report = await readJson<ScanReport>(temporary('report.json'))
    relabelled = labelsById(await loadDataset(temporary('relabelled.csv')))
  })

  it('gives most flipped records their true label back', () => {
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(
      /Relabelled copy \(\d+ labels changed, \d+ records dropped\): .*relabelled\.csv/,
    )
    const restored = flipped.filter((id) => relabelled.get(id) === original.get(id)).length
    expect(restored / flipped.length).toBeGreaterThanOrEqual(0.85)
    const untouched = [...original.keys()].filter((id) => !flipped.includes(id))
    const changed = untouched.filter((id) => relabelled.has(id) && relabelled.get(id) !== original.get(id))
    // Natural label errors of MNIST that the label detectors agree on are relabelled too.
    expect(changed.length / untouched.length).toBeLessThan(0.05)
  })

  it('drops the flood', () => {
    expect(flood.length).toBe(80)
    expect(flood.filter((id) => !relabelled.has(id)).length / flood.length).toBeGreaterThanOrEqual(0.9)
  })

  it('keeps flagged label flips under the suggested label and drops every other flagged record', () => {
    report.records.forEach((record) => {
      const kept = relabelled.get(record.id)
      if (!record.flagged) {
        expect(kept).toBe(record.label)
        return
      }
      const onlyLabelIssues = record.findings.every((finding) => finding.kind === 'label_issue')
      const suggestions = record.findings.flatMap((finding) => finding.suggestedLabel ?? [])
      if (onlyLabelIssues && suggestions.length > 0) expect(suggestions).toContain(kept)
      else expect(kept).toBeUndefined()
    })
  })
})

function record(label: string, findings: Partial<Finding>[], source?: string): RecordReport {
  return {
    id: label,
    suspicion: findings.length > 0 ? 0.9 : 0,
    flagged: findings.length > 0,
    severity: findings.length > 0 ? 'high' : null,
    label,
    source,
    findings: findings.map((finding) => ({
      detector: 'some-detector',
      kind: 'label_issue',
      score: 0.9,
      explanation: 'why',
      ...finding,
    })),
  }
}

describe('relabel plan', () => {
  const records = [
    record('1', []),
    record('1', [{ suggestedLabel: '7' }, { suggestedLabel: '7', score: 0.6 }]),
    record('3', [
      { suggestedLabel: '7', score: 0.6 },
      { suggestedLabel: '8' },
      { suggestedLabel: '7', score: 0.5 },
    ]),
    record('7', [{ suggestedLabel: '3' }, { kind: 'backdoor' }]),
    record('2', [{ kind: 'flood' }]),
    record('4', [{}]),
    record('5', [{ suggestedLabel: '6' }], 'vendor'),
  ]
  const report = {
    records,
    summary: { bySource: { vendor: { rows: 1, flagged: 1 } } },
  } as unknown as ScanReport

  it('relabels pure label flips by score-weighted vote and drops backdoors, floods and unexplained flags', () => {
    const { keep, relabel } = relabelPlan(report)
    expect(Array.from(keep)).toEqual([1, 1, 1, 0, 0, 0, 1])
    expect([...relabel]).toEqual([
      [1, '7'],
      [2, '7'],
      [6, '6'],
    ])
  })

  it('drops label flips of a quarantined source too', () => {
    const { keep, relabel } = relabelPlan(report, { dropSourcesAbove: 0.5 })
    expect(keep[6]).toBe(0)
    expect(relabel.has(6)).toBe(false)
  })
})

describe('relabelled copies and formula cells', () => {
  it('never writes a label that is a formula onto another record, and neutralises formulas with excelSafe', async () => {
    const input = temporary('formula-labels.csv')
    await writeFile(input, 'id,label,x\na,=2+3,1\nb,ok,2\nc,ok,3\nd,=2+3,4\n')
    const dataset = await loadDataset(input)
    const report = {
      records: [
        record('=2+3', []),
        record('ok', [{ suggestedLabel: '=2+3' }]),
        record('ok', []),
        record('=2+3', [{ suggestedLabel: 'ok' }]),
      ],
      summary: { bySource: {} },
    } as unknown as ScanReport
    const written = await writeScanOutputs(dataset, report, { relabel: temporary('formula-relabel.csv') })
    expect(written.relabelled).toEqual({ changed: 1, dropped: 1, formulaLabels: 1 })
    expect(await readFile(temporary('formula-relabel.csv'), 'utf8')).toBe(
      'id,label,x\na,=2+3,1\nc,ok,3\nd,ok,4\n',
    )
    await writeScanOutputs(dataset, report, {
      relabel: temporary('formula-safe.csv'),
      exportClean: temporary('formula-clean.csv'),
      excelSafe: true,
    })
    expect(await readFile(temporary('formula-safe.csv'), 'utf8')).toBe(
      "id,label,x\na,'=2+3,1\nc,ok,3\nd,ok,4\n",
    )
    expect(await readFile(temporary('formula-clean.csv'), 'utf8')).toBe("id,label,x\na,'=2+3,1\nc,ok,3\n")
  })
})
