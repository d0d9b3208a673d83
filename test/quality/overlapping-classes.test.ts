import { writeFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Dataset } from '../../src/data/dataset.js'
import { loadDataset } from '../../src/io/index.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { prepareOnce, prepareRelabelled, scanPrepared } from '../fixtures/detectors.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { mixedHighcardCsv } from '../fixtures/mixed-tables.js'
import { flaggedCleanShare, flipLabels } from '../fixtures/poison.js'

/*
 * A churn table whose labels follow a noisy score (`mixed-highcard`, 1,000 customers: whole numbers, a log-normal
 * spend and word columns one-hot encoded): a customer the model is sure stays may honestly churn, as often as the
 * score says. Confident learning counts those labels as noise (0.15 of the clean table), and at that noise the
 * Bayes rule called every honest label the model gave less than it surely wrong: 38 clean records flagged (3.8%),
 * and 78 honest ones (8.7%) under 10% random flips. The flags are now read at the flip rate the labels themselves
 * make likeliest beside a fitted sharpness of the model (docs/zoo.md, "Honest overlap is not a floor").
 */

const temporary = useTemporaryFolder()
let backend: LinalgBackend
let table: Dataset

beforeAll(async () => {
  backend = await createDefaultBackend()
  const path = temporary('mixed-highcard.csv')
  await writeFile(path, mixedHighcardCsv(1000))
  table = await loadDataset(path)
})

describe('a churn table whose classes honestly overlap', () => {
  it('is scanned clean, at most 1% of its records flagged', async () => {
    const { report, result } = await scanPrepared(await prepareOnce(table, backend))
    expect(report.summary.flagged / table.rowCount).toBeLessThanOrEqual(0.01)
    expect(report.summary.verdict!.verdict).toBe('clean')
    // The overlap is still counted as confident learning's noise, and still ranks the records.
    const info = result('label-issues').info as { estimatedNoiseRate: number; flipNoiseRate: number }
    expect(info.estimatedNoiseRate).toBeGreaterThan(0.05)
    expect(info.flipNoiseRate).toBeLessThan(0.01)
  })

  it('flags at most 1% of its honest records under 10% random flips', async () => {
    const planted = flipLabels(table, 0.1, 1)
    const { report } = await scanPrepared(await prepareRelabelled(planted.dataset, table, backend))
    expect(flaggedCleanShare(report, planted.flipped)).toBeLessThanOrEqual(0.01)
    expect(report.summary.verdict!.verdict).not.toBe('poisoned')
  })
})
