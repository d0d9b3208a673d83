import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createRng } from '../../src/util/rng.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

/** 2,000 rows of four classes of Gaussian blobs in 16 columns, one label in twenty flipped. */
function writeTable(): string {
  const rng = createRng(11)
  const centres = Array.from({ length: 4 }, () => Array.from({ length: 16 }, () => 3 * rng.normal()))
  const lines = [`id,label,${Array.from({ length: 16 }, (_, col) => `x${col}`).join(',')}`]
  for (let row = 0; row < 2_000; row++) {
    const blob = rng.int(4)
    const label = rng.int(20) === 0 ? (blob + 1) % 4 : blob
    const values = centres[blob].map((centre) => (centre + rng.normal()).toFixed(3))
    lines.push(`r${row},c${label},${values.join(',')}`)
  }
  const path = temporary('table.csv')
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

// A lenient false-discovery rate, so that 2,000 records give flags to compare.
const detectors = ['--detectors', 'knn-label-consistency,feature-collision,outliers', '--fdr', '0.2']

describe('scan --max-memory', () => {
  it('spills the neighbour graph past a small budget, says so, cleans up and writes the same report', async () => {
    const table = writeTable()
    const spillFolder = temporary('spill')
    mkdirSync(spillFolder)
    const inMemoryPath = temporary('in-memory.json')
    const spilledPath = temporary('spilled.json')
    const inMemory = await runCli('scan', table, ...detectors, '--out', inMemoryPath)
    expect(inMemory.exitCode).toBe(0)
    expect(inMemory.stdout).not.toContain('Spilled')
    const spilled = await runCli(
      'scan',
      table,
      ...detectors,
      '--max-memory',
      '1MiB',
      '--temp-dir',
      spillFolder,
      '--out',
      spilledPath,
    )
    expect(spilled.exitCode).toBe(0)
    expect(spilled.stdout).toContain(
      'Spilled 1 MiB to a temporary file past --max-memory 1 MiB: neighbour graph (50 per record).',
    )
    expect(readdirSync(spillFolder)).toEqual([])
    const expected = JSON.parse(readFileSync(inMemoryPath, 'utf8'))
    const actual = JSON.parse(readFileSync(spilledPath, 'utf8'))
    expect(actual.analyses.memory).toEqual({
      maxBytes: 2 ** 20,
      spilledBytes: 2_000 * 50 * 8,
      spilled: [{ what: 'neighbour graph (50 per record)', bytes: 2_000 * 50 * 8 }],
    })
    expect(expected.summary.flagged, JSON.stringify(expected.detectors)).toBeGreaterThan(0)
    expect(actual.records).toEqual(expected.records)
    expect(actual.summary).toEqual(expected.summary)
  }, 180_000)

  it('explains a size it cannot read', async () => {
    const result = await runCli('scan', writeTable(), '--max-memory', 'lots')
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(
      "option '--max-memory <size>' argument 'lots' is invalid. expected a size such as 512MiB or 4GiB (a bare number is MiB)",
    )
  })
})
