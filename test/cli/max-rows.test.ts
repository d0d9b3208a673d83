import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

function writeTable(): string {
  const path = temporary('table.csv')
  const rows = Array.from({ length: 300 }, (_, row) => `r${row},${row % 17},${row % 5},${row % 2}`)
  writeFileSync(path, `${['id,x,y,label', ...rows].join('\n')}\n`)
  return path
}

describe('scan --max-rows and --neighbours', () => {
  it('refuses to write a cleaned copy of the whole input from a sample, and writes nothing', async () => {
    const clean = temporary('clean.csv')
    const report = temporary('report.json')
    const result = await runCli(
      'scan',
      writeTable(),
      '--max-rows',
      '50',
      '--export-clean',
      clean,
      '--out',
      report,
    )
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(
      '--max-rows scans a sample, so it cannot write --export-clean or --relabel',
    )
    expect(existsSync(clean)).toBe(false)
    expect(existsSync(report)).toBe(false)
  })

  it('scans a sample with the approximate search forced and reports both', async () => {
    const out = temporary('sampled.json')
    const result = await runCli(
      'scan',
      writeTable(),
      '--max-rows',
      '200',
      '--neighbours',
      'approximate',
      '--detectors',
      'outliers',
      '--out',
      out,
    )
    expect(result.exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8'))
    expect(report.dataset.sample).toEqual({ rows: 200, totalRows: 300, seed: 0 })
    expect(report.analyses.neighbours).toMatchObject({ method: 'ivf', recallAt: 10, recallSample: 200 })
  })

  it('names the valid neighbour methods', async () => {
    const result = await runCli('scan', writeTable(), '--neighbours', 'nearest')
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('Allowed choices are auto, exact, approximate')
  })
})
