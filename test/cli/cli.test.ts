import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { describe, expect, it } from 'vitest'
import { detectorIds, getDetector } from '../../src/detectors/registry.js'
import type { ScanReport } from '../../src/domain/index.js'
import { createRng } from '../../src/util/rng.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

/** Two Gaussian blobs in 5 dimensions with `flippedEvery`-th labels flipped; a `source` column alternates. */
function writeBlobs(path: string, rowCount: number, flippedEvery = 0, withLabel = true): void {
  const rng = createRng(3)
  const header = ['id', ...(withLabel ? ['label'] : []), 'source', 'f1', 'f2', 'f3', 'f4', 'f5']
  const lines = [header.join(',')]
  for (let row = 0; row < rowCount; row++) {
    const truth = row % 2
    const given = flippedEvery > 0 && row % flippedEvery === 0 ? 1 - truth : truth
    const features = Array.from({ length: 5 }, () => (truth * 4 + rng.normal()).toFixed(3))
    lines.push(
      [`r${row}`, ...(withLabel ? [given ? 'cat' : 'dog'] : []), `vendor-${row % 3}`, ...features].join(','),
    )
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}

describe('poisonguard CLI', () => {
  it('prints help with examples for every command', async () => {
    for (const argv of [
      ['--help'],
      ['scan', '--help'],
      ['datasets', '--help'],
      ['datasets', 'export', '--help'],
      ['detectors', '--help'],
    ]) {
      const result = await runCli(...argv)
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toContain('Usage: poisonguard')
    }
    const scanHelp = await runCli('scan', '--help')
    expect(scanHelp.stdout).toContain('Examples:')
    expect(scanHelp.stdout).toContain('--fail-on <severity>')
  })

  it('scans a CSV, writes JSON, HTML and a clean copy, and finds the flipped labels', async () => {
    const input = temporary('blobs.csv')
    writeBlobs(input, 400, 20)
    const out = temporary('blobs-report.json')
    const html = temporary('blobs-report.html')
    const clean = temporary('blobs-clean.csv')
    const result = await runCli(
      'scan',
      input,
      '--out',
      out,
      '--html',
      html,
      '--export-clean',
      clean,
      // 20 flipped of 400 all into one class: a lenient false-discovery rate suits so small a table.
      '--fdr',
      '0.05',
      '--quiet',
    )
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    expect(report.records.map((record) => record.id)).toEqual(
      Array.from({ length: 400 }, (_, row) => `r${row}`),
    )
    const flaggedRows = report.records.flatMap((record, row) => (record.flagged ? [row] : []))
    expect(flaggedRows.filter((row) => row % 20 === 0).length).toBeGreaterThanOrEqual(15)
    expect(flaggedRows.length).toBeLessThanOrEqual(24)
    expect(report.summary.bySource['vendor-0'].rows).toBe(134)
    expect(readFileSync(html, 'utf8')).toContain('<!doctype html>')
    const cleanLines = readFileSync(clean, 'utf8').trim().split('\n')
    expect(cleanLines).toHaveLength(1 + 400 - flaggedRows.length)
    expect(result.stdout).toMatch(/Scanned 400 records: \d+ flagged/)
  })

  it('exits 3 when a record reaches --fail-on', async () => {
    const input = temporary('gate.csv')
    writeBlobs(input, 200, 10)
    const gated = await runCli('scan', input, '--out', temporary('gate.json'), '--fail-on', 'low', '--quiet')
    expect(gated.exitCode).toBe(3)
    const clean = temporary('gate-clean.csv')
    writeBlobs(clean, 200)
    const passed = await runCli(
      'scan',
      clean,
      '--out',
      temporary('gate-clean.json'),
      '--fail-on',
      'high',
      '-q',
    )
    expect(passed.exitCode).toBe(0)
  })

  it('reports a missing file with exit 1, a clear message and no output files', async () => {
    const out = temporary('missing-report.json')
    const result = await runCli(
      'scan',
      temporary('nope.csv'),
      '--out',
      out,
      '--html',
      temporary('missing.html'),
    )
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/^error: .*nope\.csv/)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(dirname(out)).filter((name) => name.includes('missing'))).toEqual([])
  })

  it('rejects an unknown detector and lists the valid ones', async () => {
    const input = temporary('unknown.csv')
    writeBlobs(input, 50)
    const result = await runCli('scan', input, '--detectors', 'magic', '--out', temporary('unknown.json'))
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(`unknown detector "magic"; valid detectors: ${detectorIds.join(', ')}`)
  })

  it('rejects an empty selection of detectors instead of running none', async () => {
    const input = temporary('empty-selection.csv')
    writeBlobs(input, 50)
    const out = temporary('empty-selection.json')
    const result = await runCli('scan', input, '--detectors', ',', '--out', out)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(
      `error: no detector to run: the list of detectors is empty; valid detectors: ${detectorIds.join(', ')}`,
    )
    expect(existsSync(out)).toBe(false)
  })

  it('rejects parameters of an unknown detector and lists the valid ones', async () => {
    const input = temporary('unknown-param.csv')
    writeBlobs(input, 50)
    const out = temporary('unknown-param.json')
    const result = await runCli('scan', input, '--param', 'nosuch.x=1', '--out', out)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(
      `error: unknown detector "nosuch" in parameters; valid detectors: ${detectorIds.join(', ')}`,
    )
    expect(existsSync(out)).toBe(false)
  })

  it('rejects invalid detector parameters with the parameter path', async () => {
    const input = temporary('params.csv')
    writeBlobs(input, 50)
    const result = await runCli(
      'scan',
      input,
      '--param',
      'knn-label-consistency.k=-3',
      '--out',
      temporary('p.json'),
    )
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('knn-label-consistency.k')
  })

  it('still scans without labels and says which detectors were skipped and why', async () => {
    const input = temporary('unlabelled.csv')
    writeBlobs(input, 60, 0, false)
    const out = temporary('unlabelled.json')
    const result = await runCli('scan', input, '--out', out, '-q')
    expect(result.exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    const labelDetectors = report.detectors.filter((detector) =>
      getDetector(detector.id).requires.includes('labels'),
    )
    expect(labelDetectors.map((detector) => detector.id)).toContain('label-issues')
    for (const detector of labelDetectors) {
      expect([detector.status, detector.reason]).toEqual([
        'skipped',
        'the dataset has no label column (name it with --label)',
      ])
    }
    expect(report.records).toHaveLength(60)
    expect(result.stdout).toContain('label-issues: skipped (the dataset has no label column')
  })

  it('skips label detectors on a single class', async () => {
    const input = temporary('one-class.csv')
    writeFileSync(input, 'id,label,x,y\na,cat,1,2\nb,cat,2,3\nc,cat,3,1\nd,cat,0,0\n')
    const out = temporary('one-class.json')
    expect((await runCli('scan', input, '--out', out, '-q')).exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    expect(report.detectors[0].reason).toBe('the labels hold 1 class; at least 2 are needed')
  })

  it('gives an empty, valid report for degenerate data', async () => {
    const tiny = temporary('tiny.csv')
    writeFileSync(tiny, 'id,label,x\na,cat,1\nb,dog,2\n')
    const out = temporary('tiny.json')
    expect((await runCli('scan', tiny, '--out', out, '-q')).exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    expect(report.summary.flagged).toBe(0)
    expect(report.detectors.every((detector) => detector.reason === 'needs at least 3 records')).toBe(true)
    const identical = temporary('identical.csv')
    writeFileSync(
      identical,
      `id,label,x\n${Array.from({ length: 30 }, (_, row) => `r${row},${row % 2},1`).join('\n')}\n`,
    )
    const identicalOut = temporary('identical.json')
    expect((await runCli('scan', identical, '--out', identicalOut, '-q')).exitCode).toBe(0)
    const identicalReport = JSON.parse(readFileSync(identicalOut, 'utf8')) as ScanReport
    expect(identicalReport.records).toHaveLength(30)
    expect(identicalReport.records.every((record) => record.suspicion >= 0 && record.suspicion <= 1)).toBe(
      true,
    )
  })

  it('uses fewer neighbours than asked when there are fewer records than k', async () => {
    const input = temporary('few.csv')
    writeBlobs(input, 6)
    const out = temporary('few.json')
    expect((await runCli('scan', input, '--out', out, '-q')).exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    const knn = report.detectors.find((detector) => detector.id === 'knn-label-consistency')!
    expect(knn.status).toBe('ok')
    expect(knn.warnings).toEqual(['only 6 records: used k=5 instead of 10'])
  })

  it('lists the built-in datasets and detectors', async () => {
    expect((await runCli('datasets', 'list')).stdout).toMatch(/mnist\s+10000 rows/)
    const detectors = await runCli('detectors')
    expect(detectors.stdout).toContain('label-issues  (label_issue)')
    expect(detectors.stdout).toContain('k=10')
  })

  it('exports a built-in dataset with a row limit', async () => {
    const out = temporary('spam-100.jsonl')
    const result = await runCli('datasets', 'export', 'spam', '--out', out, '--limit', '100')
    expect(result.exitCode).toBe(0)
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(100)
    expect((await runCli('datasets', 'export', 'cifar', '--out', out)).stderr).toContain(
      'unknown built-in dataset "cifar"',
    )
  })

  it('takes --quiet on every command that can show a progress bar, datasets export included', async () => {
    for (const command of [['scan'], ['check'], ['bench'], ['manifest', 'create'], ['datasets', 'export']]) {
      expect((await runCli(...command, '--help')).stdout).toMatch(/--quiet\s+no progress bar/)
    }
    const out = temporary('mnist-quiet.csv')
    const result = await runCli('datasets', 'export', 'mnist', '--out', out, '--limit', '3', '--quiet')
    expect(result).toEqual({ exitCode: 0, stdout: `Wrote 3 rows of mnist to ${out}\n`, stderr: '' })
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(4)
  })
})
