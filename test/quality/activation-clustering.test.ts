import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dataset } from '../../src/data/dataset.js'
import { activationClusteringDetector } from '../../src/detectors/activation-clustering/index.js'
import type { Detector } from '../../src/detectors/types.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanDataset } from '../../src/scan/scan.js'
import { mnistDataset, spamDataset } from '../fixtures/datasets.js'
import { countFlagged, runDetectorAlone } from '../fixtures/detectors.js'
import { plantPatchBackdoor } from '../fixtures/poison.js'

let backend: LinalgBackend
let mnist: Dataset
let spam: Dataset

beforeAll(async () => {
  backend = await createDefaultBackend()
  mnist = mnistDataset(10_000)
  spam = spamDataset(6046)
})

afterAll(async () => {
  await backend.dispose()
})

const plant = plantPatchBackdoor
const count = countFlagged
const detect = (dataset: Dataset) =>
  runDetectorAlone(activationClusteringDetector as Detector<unknown>, dataset, backend)

describe('activation-clustering on patch backdoors planted in MNIST', () => {
  it.each([
    { name: '5%, bottom-right 3×3 onto 0', params: { rate: 0.05 } },
    { name: '2%, top-right onto 2', params: { rate: 0.02, target: '2', position: 'top-right' } },
    {
      name: '7%, bottom-left 4×4 onto 1',
      params: { rate: 0.07, target: '1', position: 'bottom-left', size: 4 },
    },
    { name: '10%, top-left onto 3', params: { rate: 0.1, target: '3', position: 'top-left' } },
    { name: '10% onto 5, outnumbering the class', params: { rate: 0.1, target: '5' } },
    { name: '10% blended noise (alpha 0.2) onto 6', params: { rate: 0.1, target: '6', blend: 0.2 } },
  ])('ranks and flags the poison of $name', async ({ params }) => {
    const planted = plant(mnist, params)
    const result = await detect(planted.dataset)
    const poisonCount = count(planted.poisoned)
    expect(averagePrecision(result.suspicion, planted.poisoned)).toBeGreaterThanOrEqual(0.99)
    expect(count(result.flagged, (row) => planted.poisoned[row] === 1)).toBeGreaterThanOrEqual(
      0.98 * poisonCount,
    )
    expect(count(result.flagged, (row) => planted.poisoned[row] === 0)).toBeLessThanOrEqual(
      0.01 * poisonCount,
    )
    expect(result.info.suspectedClasses).toEqual([(params as { target?: string }).target ?? '0'])
    // Held out, the poison is classified as the digit it really shows: the label it had before the attack.
    const restored = count(result.flagged, (row) => result.suggestedLabels![row] === mnist.labels!.codes[row])
    expect(restored).toBeGreaterThanOrEqual(0.8 * count(result.flagged))
    const flaggedRow = result.flagged.indexOf(1)
    expect(result.explanations[flaggedRow]).toMatch(
      /a model trained without that cluster gives \d+% of it the label/,
    )
  })
})

describe('activation-clustering on clean data', () => {
  it.each([
    { name: 'mnist', dataset: () => mnist },
    { name: 'spam', dataset: () => spam },
  ])('leaves every class of clean $name clean', async ({ dataset }) => {
    const result = await detect(dataset())
    expect(count(result.flagged)).toBeLessThanOrEqual(0.01 * dataset().rowCount)
    expect(result.info.suspectedClasses).toEqual([])
    expect(Math.max(...result.suspicion)).toBeLessThan(0.1)
  })
})

describe('activation-clustering in the fused scan', () => {
  it('reports every record of the 3% patch backdoor of the issue and no clean one', async () => {
    const planted = plant(mnist, { rate: 0.03 })
    const report = await scanDataset(planted.dataset, { backend })
    const ours = report.records.map((record) =>
      record.findings.some(
        (finding) => finding.detector === 'activation-clustering' && finding.kind === 'backdoor',
      ),
    )
    expect(count(ours, (row) => planted.poisoned[row] === 1)).toBe(count(planted.poisoned))
    expect(count(ours, (row) => planted.poisoned[row] === 0)).toBe(0)
  })

  it.each([
    { name: 'mnist', dataset: () => mnist },
    { name: 'spam', dataset: () => spam },
  ])('flags nothing in clean $name within the full scan', async ({ dataset }) => {
    const report = await scanDataset(dataset(), { backend })
    const ours = report.detectors.find((detector) => detector.id === 'activation-clustering')!
    expect(ours.status).toBe('ok')
    expect(ours.flagged).toBe(0)
  })
})
