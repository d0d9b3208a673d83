import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Dataset } from '../src/data/dataset.js'
import { builtinDetectors, listDetectors } from '../src/detectors/registry.js'
import type { Detector } from '../src/detectors/types.js'
import { configureDetectors, prepareDetectorInput, runDetectors } from '../src/index.js'
import { createPortableBackend } from '../src/linalg/portable.js'
import { inMemoryDataset, mnistDataset } from './fixtures/datasets.js'
import { rejection } from './fixtures/errors.js'

const backend = createPortableBackend()
let digits: Dataset

beforeAll(() => {
  digits = mnistDataset(300)
})

const failingDetector: Detector<Record<string, never>> = {
  id: 'always-fails',
  kind: 'outlier',
  summary: 'throws on every input, to show a failure is reported',
  requires: ['features'],
  params: z.object({}).strict(),
  async run() {
    throw new Error('broken on purpose')
  },
}

const textDetector: Detector<Record<string, never>> = {
  ...failingDetector,
  id: 'needs-text',
  summary: 'reads text, which images do not have',
  requires: ['text'],
}

describe('prepareDetectorInput', () => {
  it('computes each shared analysis once per input, whichever detector asks first', async () => {
    const input = await prepareDetectorInput(digits, { backend, geometryDimensions: 16 })
    expect(input.features?.cols).toBe(16)
    const spectra = await input.classSpectra()
    expect(await input.classSpectra()).toBe(spectra)
    expect(spectra.classes).toHaveLength(10)
    const probabilities = await input.outOfFoldProbabilities()
    expect(await input.outOfFoldProbabilities()).toBe(probabilities)
    expect([probabilities.rows, probabilities.cols]).toEqual([300, 10])
    const other = await prepareDetectorInput(digits, { backend, geometryDimensions: 16 })
    expect(await other.classSpectra()).not.toBe(spectra)
  })
})

describe('runDetectors', () => {
  it('reports every detector as ok, skipped or failed, each outcome carrying its detector', async () => {
    const input = await prepareDetectorInput(digits, { backend, geometryDimensions: 16 })
    const knn = builtinDetectors['knn-label-consistency']
    const steps: string[] = []
    const outcomes = await runDetectors(input, configureDetectors([failingDetector, textDetector, knn]), {
      now: () => 0,
      onProgress: (id, fractionDone, index) => steps.push(`${index}:${id}:${fractionDone}`),
    })
    expect(outcomes.map((outcome) => [outcome.detector, outcome.status])).toEqual([
      [failingDetector, 'failed'],
      [textDetector, 'skipped'],
      [knn, 'ok'],
    ])
    const [failed, skipped] = outcomes
    expect(failed.status === 'failed' && failed.reason).toBe('broken on purpose')
    expect(skipped.status === 'skipped' && skipped.reason).toBe(
      'the dataset has no text column (name it with --text)',
    )
    expect(outcomes[2].params).toEqual({ k: 10, flagAbove: 0.5 })
    expect(steps).toContain('2:knn-label-consistency:1')
  })
})

describe('a mostly empty text column', () => {
  const texts = Array.from({ length: 300 }, (_, row) => (row % 4 === 0 ? `mail number ${row}` : ''))
  const detectors = configureDetectors([textDetector, builtinDetectors['near-duplicates']])

  it('is not used: a detector that needs text is skipped with the reason, the others use the features', async () => {
    const input = await prepareDetectorInput(
      { ...digits, texts, textColumn: 'body' },
      { backend, geometryDimensions: 16 },
    )
    expect(input.texts).toBeUndefined()
    expect(input.features?.cols).toBe(16)
    const [skipped, nearDuplicates] = await runDetectors(input, detectors)
    expect(skipped.status === 'skipped' && skipped.reason).toBe(
      'the text column "body" is empty in 225 of 300 records',
    )
    expect(nearDuplicates.status).toBe('ok')
  })

  it('skips every detector, with the reason, when there is nothing else to work on', async () => {
    const labels = texts.map((_, row) => String(row % 2))
    const input = await prepareDetectorInput(inMemoryDataset({ texts, labels }), { backend })
    const outcomes = await runDetectors(input, detectors)
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['skipped', 'skipped'])
    const [, nearDuplicates] = outcomes
    expect(nearDuplicates.status === 'skipped' && nearDuplicates.reason).toBe(
      'the text column "text" is empty in 225 of 300 records, and there are no numeric features or images to use instead',
    )
  })
})

describe('configureDetectors', () => {
  it('fills in defaults and accepts parameters of detectors passed in but not registered', () => {
    const [configured] = configureDetectors([failingDetector], { 'always-fails': {} })
    expect(configured).toEqual({ detector: failingDetector, params: {} })
  })

  it('rejects parameters for a detector that does not exist and lists the valid ids', () => {
    const error = rejection(() =>
      configureDetectors([builtinDetectors['label-issues']], { nosuch: { x: 1 } }),
    )
    expect(error.code).toBe('UNKNOWN_NAME')
    const valid = listDetectors().map(({ id }) => id)
    expect(error.message).toBe(
      `unknown detector "nosuch" in parameters; valid detectors: ${valid.join(', ')}`,
    )
  })

  it('rejects invalid values with every problem at its parameter path', () => {
    const knn = builtinDetectors['knn-label-consistency']
    const error = rejection(() => configureDetectors([knn], { [knn.id]: { k: -3, flagAbove: 'high' } }))
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toMatch(/^invalid parameters for detector knn-label-consistency: /)
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'knn-label-consistency.flagAbove',
      'knn-label-consistency.k',
    ])
  })
})
