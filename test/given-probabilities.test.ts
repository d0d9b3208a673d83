import { describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../src/index.js'
import { createPortableBackend, scan } from '../src/index.js'
import { mnistDataset } from './fixtures/datasets.js'
import { craftedProbabilities, disagreeingRows } from './fixtures/probabilities.js'

describe('bring-your-own out-of-fold probabilities', () => {
  const dataset = mnistDataset(300)
  const backend = createPortableBackend()

  it('drive the label detectors instead of the built-in model', async () => {
    const steps = new Set<string>()
    const report = await scan(dataset, {
      backend,
      detectors: ['label-issues'],
      outOfFoldProbabilities: craftedProbabilities(dataset),
      onProgress: ({ step }) => steps.add(step),
    })
    const flagged = report.records.flatMap((record, row) =>
      record.findings.some((finding) => finding.detector === 'label-issues') ? [row] : [],
    )
    expect(flagged).toEqual(disagreeingRows)
    expect(steps.has('model')).toBe(false)
  })

  it('must have one row per record and one column per class, summing to 1', async () => {
    const given = craftedProbabilities(dataset)
    const run = (probabilities: FeatureMatrix) => () =>
      scan(dataset, { backend, outOfFoldProbabilities: probabilities, outOfFoldProbabilitiesSource: 'p.npy' })
    const fewerRows = { ...given, data: given.data.subarray(0, 299 * 10), rows: 299 }
    await expect(run(fewerRows)()).rejects.toThrow(
      'p.npy: expected shape (300, 10): one row per record and one column per class (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), found (299, 10)',
    )
    const fewerClasses = { data: new Float32Array(300 * 2).fill(0.5), rows: 300, cols: 2 }
    await expect(run(fewerClasses)()).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' })
    const unnormalised = { ...given, data: given.data.map((value, index) => (index < 10 ? 0.5 : value)) }
    await expect(run(unnormalised)()).rejects.toThrow('p.npy, row 1: the probabilities sum to 5.0000, not 1')
    const unlabelled = { ...dataset, labels: undefined }
    const error = await scan(unlabelled, { backend, outOfFoldProbabilities: given }).catch((reason) => reason)
    expect(error).toMatchObject({ code: 'MISSING_INPUT' })
  })
})
