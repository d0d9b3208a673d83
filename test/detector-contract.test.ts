import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Dataset } from '../src/data/dataset.js'
import { selectRows } from '../src/data/matrix.js'
import { detectorIds, listDetectors, registerDetector } from '../src/detectors/registry.js'
import type { Detector, DetectorInput } from '../src/detectors/types.js'
import type { LinalgBackend } from '../src/linalg/backend.js'
import { createPortableBackend } from '../src/linalg/portable.js'
import { configureDetectors, prepareDetectorInput, runDetectors } from '../src/scan/pipeline.js'
import { createRng, shuffledIndices } from '../src/util/rng.js'
import { mnistDataset } from './fixtures/datasets.js'
import { classDistanceDetector } from './fixtures/example-detector.js'
import { flipLabels } from './fixtures/poison.js'

const rowCount = 600
const backend: LinalgBackend = createPortableBackend()
let dataset: Dataset

function inputFor(data: Dataset, seed = 0): Promise<DetectorInput> {
  return prepareDetectorInput(data, { backend, seed, geometryDimensions: 32, folds: 5 })
}

function fingerprint(data: Dataset): string {
  const hash = createHash('sha256')
  hash.update(Buffer.from(data.features!.data.buffer))
  hash.update(Buffer.from(data.labels!.codes.buffer))
  return hash.digest('hex')
}

const context = { seed: 0, now: () => 0 }

/** Runs one detector with its default parameters through the scan's pipeline. */
async function runDetector(detector: Detector<unknown>, input: DetectorInput) {
  const [outcome] = await runDetectors(input, configureDetectors([detector]), context)
  return outcome
}

function correlation(a: number[], b: number[]): number {
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length
  const meanA = mean(a)
  const meanB = mean(b)
  let covariance = 0
  let varianceA = 0
  let varianceB = 0
  a.forEach((value, index) => {
    covariance += (value - meanA) * (b[index] - meanB)
    varianceA += (value - meanA) ** 2
    varianceB += (b[index] - meanB) ** 2
  })
  return varianceA === 0 && varianceB === 0 ? 1 : covariance / Math.sqrt(varianceA * varianceB)
}

// A user's detector, registered through the public API, must keep the same contract as the built-in ones.
registerDetector(classDistanceDetector)

/** The dataset's rows in another order, for the permutation check. */
let permuted: Dataset
/** The dataset's fingerprint before any detector ran on it. */
let pristine: string
const order = shuffledIndices(rowCount, createRng(4))

beforeAll(() => {
  dataset = flipLabels(mnistDataset(rowCount), 0.05, 9).dataset
  pristine = fingerprint(dataset)
  permuted = {
    ...dataset,
    ids: Array.from(order, (row) => dataset.ids[row]),
    labels: { ...dataset.labels!, codes: Int32Array.from(order, (row) => dataset.labels!.codes[row]) },
    features: selectRows(dataset.features!, order),
  }
})

/*
 * Every detector runs on one prepared input per dataset, as in a scan, so the shared analyses (the folds'
 * models, the neighbour graph, the spectra) are computed once for all detectors rather than once per check.
 * Each detector's outcome on the dataset is computed once and checked three ways; determinism is still checked
 * against a second run on an input prepared afresh.
 */
let sharedInput: Promise<DetectorInput> | undefined
let sharedPermutedInput: Promise<DetectorInput> | undefined
const outcomes = new Map<string, ReturnType<typeof runDetector>>()

function outcomeOnDataset(detector: Detector<unknown>): ReturnType<typeof runDetector> {
  let outcome = outcomes.get(detector.id)
  if (!outcome) {
    sharedInput ??= inputFor(dataset)
    outcome = sharedInput.then((input) => runDetector(detector, input))
    outcomes.set(detector.id, outcome)
  }
  return outcome
}

it('covers every built-in detector and a user-registered one', () => {
  expect(listDetectors().map((detector) => detector.id)).toEqual([...detectorIds, 'class-distance'])
})

describe.each(listDetectors())('detector contract: $id', (detector) => {
  it('returns one score in [0,1] and one decision per record', async () => {
    const outcome = await outcomeOnDataset(detector)
    if (outcome.status === 'skipped') {
      expect(outcome.reason.length).toBeGreaterThan(10)
      return
    }
    expect(outcome.status).toBe('ok')
    if (outcome.status !== 'ok') return
    const { result } = outcome
    expect(result.suspicion).toHaveLength(rowCount)
    expect(result.flagged).toHaveLength(rowCount)
    expect(result.explanations).toHaveLength(rowCount)
    expect(result.suspicion.every((score) => score >= 0 && score <= 1)).toBe(true)
    result.flagged.forEach((flag, row) => {
      if (flag) expect(result.explanations[row]).toMatch(/\w+/)
    })
    expect(JSON.parse(JSON.stringify(result.info))).toEqual(result.info)
  })

  it('is deterministic for a seed and leaves its input untouched', async () => {
    const first = await outcomeOnDataset(detector)
    const second = await runDetector(detector, await inputFor(dataset))
    expect(fingerprint(dataset)).toBe(pristine)
    if (first.status !== 'ok' || second.status !== 'ok') return
    expect(Array.from(second.result.suspicion)).toEqual(Array.from(first.result.suspicion))
    expect(Array.from(second.result.flagged)).toEqual(Array.from(first.result.flagged))
  })

  it('permutes its scores with its input', async () => {
    sharedPermutedInput ??= inputFor(permuted)
    const original = await outcomeOnDataset(detector)
    const shuffled = await runDetector(detector, await sharedPermutedInput)
    if (original.status !== 'ok' || shuffled.status !== 'ok') return
    // Cross-validation folds and SGD follow row order, so scores move a little; the picture must not.
    const aligned = Array.from(order, (row) => original.result.suspicion[row])
    expect(correlation(aligned, Array.from(shuffled.result.suspicion))).toBeGreaterThan(0.9)
  })

  it('is skipped with a reason when a required input is missing', async () => {
    const stripped: Dataset = {
      ...dataset,
      labels: undefined,
      texts: undefined,
      features: undefined,
      imageShape: undefined,
      featureNames: [],
    }
    const outcome = await runDetector(detector, await inputFor(stripped))
    expect(outcome.status).toBe('skipped')
    if (outcome.status === 'skipped') expect(outcome.reason).toMatch(/no /)
  })
})
