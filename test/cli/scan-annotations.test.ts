import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ScanReport } from '../../src/domain/index.js'
import { builtinDatasets } from '../../src/io/builtin/index.js'
import { loadDataset } from '../../src/io/index.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import { answersCsv, crowdLabelledDataset } from '../fixtures/crowd.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

describe('scan --annotations', () => {
  it('flags the labels a colluding crowd pushed in and names the colluders', async () => {
    const clean = temporary('clean.csv')
    await builtinDatasets.mnist.write(clean, { limit: 600 })
    const crowd = crowdLabelledDataset(await loadDataset(clean), '7', '1', 5)
    const data = temporary('digits.csv')
    await writeDataset(crowd.poisoned, data)
    const answers = temporary('answers.csv')
    writeFileSync(answers, answersCsv(crowd.table))
    const out = temporary('report.json')
    const run = await runCli(
      'scan',
      data,
      '--annotations',
      answers,
      '--detectors',
      'crowd-consensus',
      '--out',
      out,
      '-q',
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/crowd-consensus: ok \(\d+ flagged/)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    const flaggedPushed = report.records.filter((record, row) => record.flagged && crowd.pushed[row]).length
    const pushed = crowd.pushed.reduce((sum, flag) => sum + flag, 0)
    expect(pushed).toBeGreaterThan(5)
    expect(flaggedPushed).toBeGreaterThanOrEqual(0.8 * pushed)
    expect(report.summary.verdict?.attacks[0].description).toMatch(/^4 annotators answering in concert/)
  })

  it('says which ids did not meet when the answers name other items', async () => {
    const data = temporary('few.csv')
    await builtinDatasets.mnist.write(data, { limit: 50 })
    const answers = temporary('strangers.csv')
    writeFileSync(answers, 'item,annotator,label\nx1,a,1\nx1,b,1\nx2,a,2\n')
    const run = await runCli('scan', data, '--annotations', answers, '-q')
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toMatch(/no item of .*strangers\.csv matches an id of the dataset \(for example "x1"/)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })
})
