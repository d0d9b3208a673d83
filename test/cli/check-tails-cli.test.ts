import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { CheckReport } from '../../src/drift/types.js'
import { createRng, shuffledIndices } from '../../src/util/rng.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const path = useTemporaryFolder()

const AMOUNTS = 8
const COUNTS = 4
const SEGMENTS = ['segment A', 'segment B', 'segment C', 'segment D']

/**
 * Rows of a table shaped like the zoo's `lognormal-ids`: four segments, each shifting eight latent normal columns,
 * written as amounts `exp(1.5 x)·1000` (ten orders of magnitude), four heavy-tailed counts and a shuffled `user_id`.
 */
function lognormalRows(rowCount: number, seed: number): string[][] {
  const rng = createRng(seed)
  const ids = shuffledIndices(rowCount, rng)
  const shifts = SEGMENTS.map(() => Array.from({ length: AMOUNTS + COUNTS }, () => rng.normal()))
  return Array.from({ length: rowCount }, (_, row) => {
    const segment = rng.int(SEGMENTS.length)
    const latent = shifts[segment].map((shift) => shift + 1.5 * rng.normal())
    const amounts = latent.slice(0, AMOUNTS).map((x) => (Math.exp(1.5 * x) * 1000).toPrecision(6))
    const counts = latent
      .slice(AMOUNTS)
      .map((x) => String(Math.floor(Math.exp(1.2 * Math.abs(x) + 0.3 * rng.normal()))))
    return [String(100_000 + ids[row]), ...amounts, ...counts, SEGMENTS[segment]]
  })
}

function writeTable(file: string, rows: string[][]): string {
  const header = [
    'user_id',
    ...Array.from({ length: AMOUNTS }, (_, k) => `amount_${k}`),
    ...Array.from({ length: COUNTS }, (_, k) => `count_${k}`),
    'label',
  ]
  const target = path(file)
  writeFileSync(target, `${[header, ...rows].map((row) => row.join(',')).join('\n')}\n`)
  return target
}

async function check(batchRows: string[][], referenceRows: string[][], name: string): Promise<CheckReport> {
  const out = path(`${name}.json`)
  const result = await runCli(
    'check',
    writeTable(`${name}-batch.csv`, batchRows),
    '--reference',
    writeTable(`${name}-reference.csv`, referenceRows),
    '--out',
    out,
    '--no-mmd',
    '--quiet',
  )
  expect(result.stderr).toBe('')
  return JSON.parse(readFileSync(out, 'utf8')) as CheckReport
}

function alarms(report: CheckReport): string[] {
  return report.findings.filter((finding) => finding.severity !== 'low').map((finding) => finding.explanation)
}

describe('poisonguard check on heavy-tailed columns', () => {
  it('finds nothing in honest batches of a log-normal table (first 2,000 rows against the next 1,000)', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const rows = lognormalRows(3000, seed)
      const report = await check(rows.slice(2000), rows.slice(0, 2000), `honest-${seed}`)
      expect(alarms(report), `seed ${seed}`).toEqual([])
    }
  })

  it('still finds a negative amount, an amount far past the tail, an empty cell and a new segment', async () => {
    const rows = lognormalRows(3000, 5)
    const reference = rows.slice(0, 2000)
    const batch = rows.slice(2000).map((row) => [...row])
    const largest = Math.max(...reference.map((row) => Number(row[3])))
    batch[10][1] = '-250'
    batch[20][3] = String(1e8 * largest)
    batch[30][9] = ''
    batch[40][AMOUNTS + COUNTS + 1] = 'segment E'
    const found = alarms(await check(batch, reference, 'violations'))
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"amount_0" has values outside [0,'),
        expect.stringContaining('"amount_2" has values outside [0,'),
        expect.stringContaining('column "count_0" has 0.1% empty cells'),
        expect.stringContaining('segment E'),
      ]),
    )
  })
})
