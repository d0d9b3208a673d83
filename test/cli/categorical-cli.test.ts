import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ScanReport } from '../../src/domain/index.js'
import type { CheckReport } from '../../src/drift/types.js'
import { createRng } from '../../src/util/rng.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const path = useTemporaryFolder()

/** Rows of `id,label,x,colour`: x is noise, the label follows the colour, and every 20th label is flipped. */
function colourCsv(file: string, rows: number, colours: readonly string[], seed: number): string {
  const rng = createRng(seed)
  const lines = ['id,label,x,colour']
  for (let row = 0; row < rows; row++) {
    const colour = colours[row % colours.length]
    const warm = (colour === 'red' || colour === 'yellow') !== (row % 20 === 7)
    lines.push(`${file}-${row},${warm ? 'warm' : 'cool'},${rng.normal().toFixed(3)},${colour}`)
  }
  const target = path(file)
  writeFileSync(target, `${lines.join('\n')}\n`)
  return target
}

function knnFound(report: ScanReport): string[] {
  return report.records
    .filter((record) => record.findings.some((finding) => finding.detector === 'knn-label-consistency'))
    .map((record) => record.id)
}

describe('categorical columns on the command line', () => {
  it('scan uses a categorical column that carries the label and exports the original values', async () => {
    const input = colourCsv('colours.csv', 400, ['red', 'blue', 'green', 'yellow'], 1)
    const out = path('colours.json')
    const clean = path('colours-clean.csv')
    const run = await runCli(
      'scan',
      input,
      '--detectors',
      'knn-label-consistency',
      '--out',
      out,
      '--export-clean',
      clean,
    )
    expect(run.exitCode).toBe(0)
    expect(`${run.stdout}${run.stderr}`).toContain(
      'encoded categorical column(s) "colour" (4 values) as one-hot columns',
    )
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    expect(report.dataset.featureCount).toBe(5)
    const flipped = Array.from({ length: 20 }, (_, index) => `colours.csv-${20 * index + 7}`)
    const found = knnFound(report)
    expect(found).toEqual(expect.arrayContaining(flipped))
    expect(found.length).toBeLessThanOrEqual(25)
    // The noise column alone cannot tell the flipped labels: the colour is what finds them.
    const noiseOut = path('noise.json')
    const noise = await runCli(
      'scan',
      input,
      '--detectors',
      'knn-label-consistency',
      '--features',
      'x',
      '--out',
      noiseOut,
    )
    expect(noise.exitCode).toBe(0)
    const noiseFound = knnFound(JSON.parse(readFileSync(noiseOut, 'utf8')) as ScanReport)
    expect(noiseFound.filter((id) => flipped.includes(id)).length).toBeLessThan(10)
    const written = readFileSync(clean, 'utf8').split('\n')
    expect(written[0]).toBe('id,label,x,colour')
    expect(written[1]).toMatch(/^colours\.csv-0,warm,-?\d+\.\d{3},red$/)
  })

  it('a default scan does not take the categories of a class for a backdoor', async () => {
    // Each class is two colours: a class splits cleanly along one colour, and a model trained without that colour
    // cannot place it, which activation-clustering read as a hidden group before categories were left to the
    // trigger tests.
    const input = colourCsv('split.csv', 400, ['red', 'blue', 'green', 'yellow'], 5)
    const out = path('split.json')
    const run = await runCli('scan', input, '--out', out)
    expect(run.exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    expect(report.summary.verdict?.attacks).toEqual([])
    expect(report.summary.verdict?.verdict).toBeDefined()
    expect(report.summary.verdict?.verdict).not.toBe('poisoned')
  })

  it('a default scan flags random flips on a small table whose label follows a categorical column', async () => {
    // Unlike `colourCsv`, whose flips all land in one colour (then a fifth of that colour disagrees, which a
    // colour that is mostly one class also looks like), these flips fall on any colour at random.
    const rng = createRng(11)
    const colours = ['red', 'blue', 'green', 'yellow']
    const flipped: string[] = []
    const lines = ['id,label,x,colour']
    for (let row = 0; row < 400; row++) {
      const colour = colours[rng.int(4)]
      const flip = rng.next() < 0.05
      if (flip) flipped.push(`r${row}`)
      const warm = (colour === 'red' || colour === 'yellow') !== flip
      lines.push(`r${row},${warm ? 'warm' : 'cool'},${rng.normal().toFixed(3)},${colour}`)
    }
    const input = path('random-flips.csv')
    writeFileSync(input, `${lines.join('\n')}\n`)
    const out = path('random-flips.json')
    const run = await runCli('scan', input, '--features', 'x,colour', '--out', out)
    expect(run.exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    const flagged = report.records.filter((record) => record.flagged).map((record) => record.id)
    expect(flipped.length).toBeGreaterThan(10)
    expect(flagged.filter((id) => !flipped.includes(id)).length).toBeLessThanOrEqual(4)
    expect(flagged.filter((id) => flipped.includes(id)).length).toBeGreaterThanOrEqual(flipped.length / 2)
    expect(report.summary.verdict?.verdict).toBe('suspicious')
  })

  it('check lines up category sets that differ: an absent category is no finding, a new one is', async () => {
    const four = ['red', 'blue', 'green', 'yellow']
    const withRare = (rare: string) =>
      Array.from({ length: 200 }, (_, index) => (index === 199 ? rare : four[index % 4]))
    // The reference has 3 violet rows in 600; a batch from the same mix may well have none.
    const reference = colourCsv('reference.csv', 600, withRare('violet'), 2)
    const same = colourCsv('same.csv', 600, withRare('yellow'), 3)
    const sameOut = path('same.json')
    const sameRun = await runCli('check', same, '--reference', reference, '--out', sameOut)
    expect(sameRun.exitCode).toBe(0)
    const sameReport = JSON.parse(readFileSync(sameOut, 'utf8')) as CheckReport
    expect(sameReport.findings).toEqual([])
    expect(sameReport.tests.map((test) => test.column).filter(Boolean)).toContain('colour=red')
    const added = colourCsv('added.csv', 600, withRare('purple'), 4)
    const addedOut = path('added.json')
    const addedRun = await runCli('check', added, '--reference', reference, '--out', addedOut)
    expect(addedRun.exitCode).toBe(0)
    const addedReport = JSON.parse(readFileSync(addedOut, 'utf8')) as CheckReport
    expect(addedReport.findings.filter((finding) => finding.kind === 'schema')).toEqual([
      expect.objectContaining({
        severity: 'medium',
        column: 'colour',
        rowCount: 3,
        explanation: 'column "colour" has a value "purple" the schema does not list, in 3 rows',
      }),
    ])
  })
})
