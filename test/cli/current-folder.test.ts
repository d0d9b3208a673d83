import { mkdirSync, readdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinDatasets } from '../../src/io/builtin/index.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

/*
 * A command run in a repository or a home folder must not leave files there that nobody asked for: every file a
 * command writes is named by one of its flags (or, for `manifest create`, lies beside its input).
 */
describe('the current folder', () => {
  const data = temporary('digits.csv')
  const batch = temporary('batch.csv')
  const folder = temporary('cwd')
  const started = process.cwd()

  beforeAll(async () => {
    await builtinDatasets.mnist.write(data, { limit: 200 })
    await builtinDatasets.mnist.write(batch, { limit: 100 })
    mkdirSync(folder)
    process.chdir(folder)
  })
  afterAll(() => process.chdir(started))

  it('stays empty when commands run without output flags', async () => {
    const commands = [
      ['scan', data, '--detectors', 'knn-label-consistency', '-q'],
      ['check', batch, '--reference', data, '--no-mmd', '--permutations', '20', '-q'],
      ['schema', 'infer', data],
      ['detectors'],
      ['datasets', 'list'],
      ['manifest', 'create', data, '--quiet'],
    ]
    const outcomes = []
    for (const command of commands) {
      const { exitCode, stderr } = await runCli(...command)
      outcomes.push({ command: command.slice(0, 2).join(' '), exitCode, stderr })
    }
    expect(outcomes.filter(({ exitCode }) => exitCode !== 0)).toEqual([])
    expect(readdirSync(folder)).toEqual([])
  })

  it('prints what it would have written, and says how to keep it', async () => {
    const schema = await runCli('schema', 'infer', data)
    expect(JSON.parse(schema.stdout).label.classes).toHaveLength(10)
    const scanned = await runCli('scan', data, '--detectors', 'knn-label-consistency', '-q')
    expect(scanned.stdout).toContain('Scanned 200 records')
    expect(scanned.stdout).toContain('Report: not written (--out report.json keeps the full report')
    expect(readdirSync(folder)).toEqual([])
  })
})
