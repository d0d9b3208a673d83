import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { mnistDataset } from '../../test/fixtures/datasets.js'
import { asyncRejection } from '../../test/fixtures/errors.js'
import type { Dataset } from '../data/dataset.js'
import type { Detector, DetectorInput, SharedAnalysis } from '../detectors/types.js'
import { createPortableBackend } from '../linalg/portable.js'
import { type FoldExecutor, sequentialFoldExecutor } from '../models/cross-validation.js'
import { configureDetectors, type DetectorExecutor, prepareDetectorInput, runDetectors } from './pipeline.js'

const backend = createPortableBackend()
let digits: Dataset

beforeAll(() => {
  digits = mnistDataset(300)
})

/** Folds run on this thread, counted, so a test can tell whether the cross-validation has finished. */
function countingExecutor(): FoldExecutor & { readonly calls: number; readonly finished: boolean } {
  let calls = 0
  let finished = false
  return {
    get calls() {
      return calls
    },
    get finished() {
      return finished
    },
    async fitFolds(tasks, options) {
      calls++
      const held = await sequentialFoldExecutor.fitFolds(tasks, options)
      finished = true
      return held
    },
  }
}

/** A detector that reads the analyses it says it awaits and flags nothing. */
function probe(id: string, awaits: readonly SharedAnalysis[] | undefined): Detector<Record<string, never>> {
  return {
    id,
    kind: 'outlier',
    summary: 'reads shared analyses',
    requires: ['labels', 'features'],
    awaits,
    params: z.object({}).strict(),
    async run(input) {
      if (awaits?.includes('neighbours')) await input.neighbours(5)
      if (awaits?.includes('outOfFoldProbabilities')) await input.outOfFoldProbabilities()
      return {
        suspicion: new Float32Array(input.rowCount),
        flagged: new Uint8Array(input.rowCount),
        explanations: new Array(input.rowCount).fill(undefined),
        info: {},
        warnings: [],
      }
    },
  }
}

describe('prepareDetectorInput with a fold executor', () => {
  it('trains the folds before the geometry is ready, to the same probabilities', async () => {
    const executor = countingExecutor()
    const steps: string[] = []
    const input = await prepareDetectorInput(digits, {
      backend,
      geometryDimensions: 16,
      executor,
      awaited: ['outOfFoldProbabilities'],
      onProgress: (step, fractionDone) => steps.push(`${step}:${fractionDone}`),
    })
    expect(steps.indexOf('model:1')).toBeGreaterThan(-1)
    expect(steps.indexOf('model:1')).toBeLessThan(steps.indexOf('features:1'))
    const early = await input.outOfFoldProbabilities()
    expect(executor.calls).toBe(1)
    const later = await (
      await prepareDetectorInput(digits, { backend, geometryDimensions: 16 })
    ).outOfFoldProbabilities()
    expect(early.data).toEqual(later.data)
  })

  it('leaves the model untrained when no detector awaits it', async () => {
    const executor = countingExecutor()
    await prepareDetectorInput(digits, { backend, geometryDimensions: 16, executor, awaited: ['neighbours'] })
    expect(executor.calls).toBe(0)
  })
})

describe('runDetectors with a detector executor', () => {
  it('hands a detector over once what it awaits is ready, and those awaiting nothing first', async () => {
    const folds = countingExecutor()
    const input = await prepareDetectorInput(digits, { backend, geometryDimensions: 16, executor: folds })
    const handed: { id: string; foldsFinished: boolean }[] = []
    const executor: DetectorExecutor = {
      accepts: () => true,
      run(detector, input: DetectorInput, params, context) {
        handed.push({ id: detector.id, foldsFinished: folds.finished })
        return detector.run(input, params, context)
      },
    }
    const detectors = configureDetectors([
      probe('awaits-model', ['neighbours', 'outOfFoldProbabilities']),
      probe('asks-as-it-goes', undefined),
      probe('awaits-nothing', []),
    ])
    const outcomes = await runDetectors(input, detectors, { detectorExecutor: executor })
    expect(outcomes.map((outcome) => [outcome.detector.id, outcome.status])).toEqual([
      ['awaits-model', 'ok'],
      ['asks-as-it-goes', 'ok'],
      ['awaits-nothing', 'ok'],
    ])
    expect(handed).toEqual([
      { id: 'awaits-nothing', foldsFinished: false },
      { id: 'asks-as-it-goes', foldsFinished: false },
      { id: 'awaits-model', foldsFinished: true },
    ])
  })

  it('never hands over a detector whose scan was aborted while it waited', async () => {
    const input = await prepareDetectorInput(digits, {
      backend,
      geometryDimensions: 16,
      executor: countingExecutor(),
    })
    const handed: string[] = []
    const executor: DetectorExecutor = {
      accepts: () => true,
      run(detector, input: DetectorInput, params, context) {
        handed.push(detector.id)
        return detector.run(input, params, context)
      },
    }
    const controller = new AbortController()
    const running = runDetectors(
      input,
      configureDetectors([probe('awaits-model', ['outOfFoldProbabilities'])]),
      {
        detectorExecutor: executor,
        signal: controller.signal,
      },
    )
    controller.abort(new Error('enough'))
    expect((await asyncRejection(() => running)).code).toBe('ABORTED')
    expect(handed).toEqual([])
  })
})

describe('prepareDetectorInput in shared memory', () => {
  const inShared = (array: Float32Array | Int32Array) => array.buffer instanceof SharedArrayBuffer

  it('keeps the representation and the analyses in shared memory, with the values it gives without', async () => {
    const options = { backend, geometryDimensions: 16, executor: countingExecutor() }
    const plain = await prepareDetectorInput(digits, options)
    const shared = await prepareDetectorInput(digits, {
      ...options,
      sharedMemory: true,
      awaited: ['outOfFoldProbabilities'],
    })
    expect(inShared(shared.features!.data)).toBe(true)
    expect(inShared(plain.features!.data)).toBe(false)
    expect(shared.features!.data).toEqual(plain.features!.data)
    const model = shared.modelFeatures!
    expect('data' in model && inShared(model.data)).toBe(true)
    expect(model).toEqual(plain.modelFeatures)
    const probabilities = await shared.outOfFoldProbabilities()
    expect(inShared(probabilities.data)).toBe(true)
    expect(probabilities.data).toEqual((await plain.outOfFoldProbabilities()).data)
    const graph = await shared.neighbours(5)
    expect(inShared(graph.indices) && inShared(graph.distances)).toBe(true)
    const expected = await plain.neighbours(5)
    expect(graph.indices).toEqual(expected.indices)
    expect(graph.distances).toEqual(expected.distances)
  })

  it('cuts the graph once per size, every detector asking for that size reading the same arrays', async () => {
    const input = await prepareDetectorInput(digits, { backend, geometryDimensions: 16, sharedMemory: true })
    const [first, second] = await Promise.all([input.neighbours(5), input.neighbours(5)])
    expect(second.indices).toBe(first.indices)
    expect((await input.neighbours(10)).k).toBe(10)
    expect((await input.neighbours(5)).indices).toBe(first.indices)
  })
})
