import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { BenchResult } from '../../src/evaluation/bench.js'
import { builtinDatasets } from '../../src/io/builtin/index.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const path = useTemporaryFolder()

describe('poisonguard bench', () => {
  it('runs the quick matrix, prints the tables and writes bench.json and a Markdown section', async () => {
    const out = path('bench.json')
    const markdown = path('bench.md')
    const run = await runCli(
      'bench',
      '--quick',
      '--attacks',
      'label-flip',
      '--out',
      out,
      '--markdown',
      markdown,
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/^mnist-2000 \(builtin:mnist\): 2,000 training \/ 1,000 test records/)
    expect(run.stdout).toContain('fused scan')
    expect(run.stdout).toContain(`Wrote ${out}, ${markdown}`)
    const result = JSON.parse(readFileSync(out, 'utf8')) as BenchResult
    expect(result.quick).toBe(true)
    expect(result.cells).toHaveLength(1)
    expect(result.cells[0]).toMatchObject({
      dataset: 'mnist-2000',
      attack: 'label-flip',
      rate: 0.1,
      status: 'ok',
    })
    expect(result.cells[0].fused!.averagePrecision).toBeGreaterThan(0.85)
    const section = readFileSync(markdown, 'utf8')
    expect(section).toContain('Produced by `poisonguard bench --quick --attacks label-flip`, seed 1.')
    expect(section).toContain('| label-flip | 0.1 | 200 |')
  })

  it('benches a user dataset given with --dataset, with only the attacks it supports', async () => {
    const csv = path('digits.csv')
    await builtinDatasets.mnist.write(csv, { limit: 400 })
    const out = path('user.json')
    const run = await runCli(
      'bench',
      '--builtin',
      'none',
      '--dataset',
      csv,
      '--label',
      'label',
      '--attacks',
      'label-flip,backdoor-token',
      '--rates',
      '0.05',
      '--seed',
      '2',
      '--out',
      out,
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const result = JSON.parse(readFileSync(out, 'utf8')) as BenchResult
    expect(result.seed).toBe(2)
    expect(result.datasets).toEqual([
      expect.objectContaining({ name: 'digits.csv', trainRows: 320, testRows: 80 }),
    ])
    expect(result.cells.map((cell) => `${cell.attack}@${cell.rate}`)).toEqual(['label-flip@0.05'])
    expect(result.unsupported).toEqual([
      expect.objectContaining({ attack: 'backdoor-token', dataset: 'digits.csv' }),
    ])
    expect(run.stdout).toContain('note: backdoor-token does not apply to digits.csv')
  })

  it('rejects unknown attacks, bad rates and unknown built-ins before doing any work', async () => {
    const out = path('never.json')
    const unknown = await runCli('bench', '--attacks', 'label-flip,bogus', '--out', out)
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toMatch(/^error: unknown attack "bogus"; valid attacks: label-flip, /)
    const rates = await runCli('bench', '--rates', '0.1,2', '--out', out)
    expect(rates.exitCode).toBe(1)
    expect(rates.stderr).toContain("option '--rates <shares>' argument '0.1,2' is invalid")
    const builtin = await runCli('bench', '--builtin', 'cifar', '--out', out)
    expect(builtin.exitCode).toBe(1)
    expect(builtin.stderr).toContain('unknown built-in dataset "cifar"; valid: mnist, spam')
    const nothing = await runCli('bench', '--builtin', 'none', '--out', out)
    expect(nothing.exitCode).toBe(1)
    expect(nothing.stderr).toContain('nothing to bench: no built-in dataset and no dataset given')
    const folder = await runCli('bench', '--quick', '--out', path('missing/bench.json'))
    expect(folder.exitCode).toBe(1)
    expect(folder.stderr).toContain(
      `--out ${path('missing/bench.json')}: its folder ${path('missing')} does not exist`,
    )
    expect(existsSync(out)).toBe(false)
  })

  it('explains itself with examples in --help', async () => {
    const run = await runCli('bench', '--help')
    expect(run.exitCode).toBe(0)
    expect(run.stdout.slice(run.stdout.indexOf('Examples:'))).toMatchInlineSnapshot(`
      "Examples:
        $ poisonguard bench --quick
        $ poisonguard bench --out bench.json --markdown BENCHMARKS-detection.md
        $ poisonguard bench --builtin spam --attacks label-flip,backdoor-token --rates 0.01,0.05
        $ poisonguard bench --builtin none --dataset train.csv --label outcome --rates 0.05

      Each attack poisons a copy of the training split (80%) at each rate; every detector alone and the fused scan are
      scored against the ground truth (AP, AUROC, precision/recall/F1 at the default operating point, time), and the
      built-in model is trained on the poisoned, scan-cleaned and oracle-cleaned data and measured on the test split
      (clean accuracy, attack success). --quick: a 2,000-record MNIST subset, two attacks, rate 0.1.

      Exit codes: 0 done, 1 bad input or usage, 2 internal error (please report it).
      "
    `)
  })
})
