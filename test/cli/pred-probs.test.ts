import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ScanReport } from '../../src/domain/index.js'
import { builtinDatasets } from '../../src/io/builtin/index.js'
import { loadDataset } from '../../src/io/index.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { float32Npy } from '../fixtures/npy.js'
import { craftedProbabilities, disagreeingRows } from '../fixtures/probabilities.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

describe('scan --pred-probs', () => {
  it('uses the given out-of-fold probabilities for the label detectors, and checks their shape', async () => {
    const data = temporary('digits.csv')
    await builtinDatasets.mnist.write(data, { limit: 300 })
    const probabilities = craftedProbabilities(await loadDataset(data))
    const probs = temporary('probs.npy')
    writeFileSync(probs, float32Npy(probabilities))
    const out = temporary('report.json')
    const args = ['scan', data, '--detectors', 'label-issues', '--out', out, '-q']
    const run = await runCli(...args, '--pred-probs', probs)
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScanReport
    // The label detector also weighs each record's neighbours, which back the true labels here, so the rows the given
    // probabilities disagree with lead the ranking without having to be flagged.
    const ranked = report.records
      .map((record, row) => ({ row, suspicion: record.suspicion }))
      .sort((first, second) => second.suspicion - first.suspicion)
    expect(
      ranked
        .slice(0, disagreeingRows.length)
        .map(({ row }) => row)
        .sort((a, b) => a - b),
    ).toEqual(disagreeingRows)
    expect(ranked[disagreeingRows.length - 1].suspicion).toBeGreaterThan(
      ranked[disagreeingRows.length].suspicion,
    )

    const narrow = temporary('narrow.npy')
    writeFileSync(narrow, float32Npy({ data: probabilities.data.subarray(0, 600), rows: 300, cols: 2 }))
    const refused = await runCli(...args, '--out', temporary('refused.json'), '--pred-probs', narrow)
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toContain(`error: ${narrow}: expected shape (300, 10)`)
    expect(refused.stderr).toContain('found (300, 2)')
  })
})
