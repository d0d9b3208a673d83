import { afterAll, describe, expect, it } from 'vitest'
import { mnistDataset, spamDataset } from '../../test/fixtures/datasets.js'
import { classDistanceDetector } from '../../test/fixtures/example-detector.js'
import type { Dataset } from '../data/dataset.js'
import { builtinDetectors } from '../detectors/registry.js'
import type { ScanReport } from '../domain/index.js'
import { featurizeText, featurizeTextWith, textCountSettings } from '../features/text.js'
import { createPortableBackend } from '../linalg/portable.js'
import {
  crossValidatedProbabilities,
  crossValidatedProbabilitiesWith,
  fitFold,
} from '../models/cross-validation.js'
import { scanDataset } from '../scan/scan.js'
import { createRng } from '../util/rng.js'
import { createWorkerDetectorExecutor } from './detector-executor.js'
import { receiveInput, wireInput } from './detector-wire.js'
import { prestartDetectorWorkers, takePrestartedWorker } from './prestart.js'

const fixtures = new URL('../../test/fixtures/', import.meta.url)
const detectorExecutor = createWorkerDetectorExecutor({
  threads: 2,
  workerUrl: new URL('detector-worker.mjs', fixtures),
  minRows: 0,
  texts: true,
})
afterAll(() => detectorExecutor.close())

const backend = createPortableBackend()
const createdAt = new Date(0)

/** The report without the wall-clock durations, which differ run to run. */
function comparable(report: ScanReport) {
  return {
    records: report.records,
    summary: report.summary,
    detectors: report.detectors.map(({ durationMs, ...rest }) => rest),
  }
}

async function singleThreaded(dataset: Dataset, seed: number) {
  return comparable(await scanDataset(dataset, { backend, createdAt, seed }))
}

describe('createWorkerDetectorExecutor', () => {
  it('gives image and text scans, folds and detectors on the same workers, the single-threaded report', async () => {
    for (const [dataset, seed] of [
      [mnistDataset(500), 3],
      [spamDataset(300), 5],
    ] as const) {
      const progress = new Set<string>()
      const completedBefore = detectorExecutor.completedOnWorkers
      const threaded = await scanDataset(dataset, {
        backend,
        createdAt,
        seed,
        executor: detectorExecutor,
        detectorExecutor,
        onProgress: ({ step, fractionDone }) => fractionDone > 0 && progress.add(step),
      })
      expect(comparable(threaded)).toEqual(await singleThreaded(dataset, seed))
      expect(detectorExecutor.completedOnWorkers).toBeGreaterThan(completedBefore)
      const ran = threaded.detectors.filter((detector) => detector.status === 'ok').map(({ id }) => id)
      expect(ran.length).toBeGreaterThan(3)
      for (const id of ran) expect(progress).toContain(id)
    }
  })

  it('ends its workers once a scan has run its detectors, and starts them again for the next scan', async () => {
    const executor = createWorkerDetectorExecutor({
      threads: 2,
      workerUrl: new URL('detector-worker.mjs', fixtures),
      minRows: 0,
    })
    try {
      const digits = mnistDataset(300)
      for (const seed of [1, 2]) {
        const completedBefore = executor.completedOnWorkers
        const options = { backend, createdAt, seed, executor, detectorExecutor: executor }
        const threaded = await scanDataset(digits, options)
        expect(executor.completedOnWorkers).toBeGreaterThan(completedBefore)
        expect(executor.workerCount).toBe(0)
        expect(comparable(threaded)).toEqual(await singleThreaded(digits, seed))
      }
    } finally {
      await executor.close()
    }
  })

  it('trains folds bit for bit as the sequential cross-validation, and stops at the next fold once aborted', async () => {
    const digits = mnistDataset(400)
    const x = digits.features!
    const labels = digits.labels!.codes
    const sequential = crossValidatedProbabilities(x, labels, 10, { rng: createRng(4) })
    const progress: number[] = []
    const parallel = await crossValidatedProbabilitiesWith(detectorExecutor, x, labels, 10, {
      rng: createRng(4),
      onProgress: (fraction) => progress.push(fraction),
    })
    expect(parallel.data).toEqual(sequential.data)
    expect(progress).toHaveLength(5)
    const controller = new AbortController()
    controller.abort(new Error('enough'))
    await expect(
      crossValidatedProbabilitiesWith(detectorExecutor, x, labels, 10, {
        rng: createRng(4),
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('gives each fold its own probabilities when the calling thread trains those no worker has taken yet', async () => {
    const digits = mnistDataset(300)
    const labels = digits.labels!.codes
    const rows = Int32Array.from({ length: labels.length }, (_, row) => row)
    // Eight folds for two workers: the calling thread takes the queued ones on its turns of the event loop.
    const tasks = Array.from({ length: 8 }, (_, fold) => ({
      x: digits.features!,
      labels,
      classCount: 10,
      trainRows: rows.filter((row) => row % 8 !== fold),
      testRows: rows.filter((row) => row % 8 === fold),
      seed: 11 + fold,
    }))
    let done = 0
    const held = await detectorExecutor.fitFolds(tasks, { callerHelps: true, onFoldDone: () => done++ })
    expect(done).toBe(tasks.length)
    expect(held).toEqual(tasks.map((task) => fitFold(task)))
  })

  it('runs the detectors and folds on the calling thread when its workers cannot start', async () => {
    const broken = createWorkerDetectorExecutor({
      threads: 2,
      workerUrl: new URL('missing-detector-worker.mjs', fixtures),
      minRows: 0,
    })
    const digits = mnistDataset(200)
    const threaded = await scanDataset(digits, {
      backend,
      createdAt,
      seed: 1,
      executor: broken,
      detectorExecutor: broken,
    })
    await broken.close()
    expect(broken.completedOnWorkers).toBe(0)
    expect(comparable(threaded)).toEqual(await singleThreaded(digits, 1))
  })

  it('takes over the workers started ahead of it, and starts nothing ahead for an entry that is not there', async () => {
    const workerUrl = new URL('detector-worker.mjs', fixtures)
    prestartDetectorWorkers(2, workerUrl)
    const adopting = createWorkerDetectorExecutor({ threads: 2, workerUrl, eagerWorkers: 2, minRows: 0 })
    expect(takePrestartedWorker(workerUrl)).toBeUndefined()
    const digits = mnistDataset(300)
    const threaded = await scanDataset(digits, {
      backend,
      createdAt,
      seed: 2,
      executor: adopting,
      detectorExecutor: adopting,
    })
    await adopting.close()
    expect(adopting.completedOnWorkers).toBeGreaterThan(0)
    expect(comparable(threaded)).toEqual(await singleThreaded(digits, 2))
    const missing = new URL('missing-detector-worker.mjs', fixtures)
    prestartDetectorWorkers(2, missing)
    expect(takePrestartedWorker(missing)).toBeUndefined()
  })

  it('keeps a scan smaller than its row threshold on the calling thread, starting no worker', async () => {
    const small = createWorkerDetectorExecutor({
      threads: 2,
      workerUrl: new URL('detector-worker.mjs', fixtures),
    })
    const digits = mnistDataset(200)
    const report = await scanDataset(digits, { backend, createdAt, seed: 1, detectorExecutor: small })
    await small.close()
    expect(small.completedOnWorkers).toBe(0)
    expect(comparable(report)).toEqual(await singleThreaded(digits, 1))
  })

  it("counts the texts' terms in a block on each worker and one here, as this thread alone counts them", async () => {
    const texts = [...spamDataset(400).texts!, '', 'a \ud800 lone surrogate', 'ünïcödé 😀']
    const settings = textCountSettings({})
    const blocks = await detectorExecutor.countTexts(texts, settings)
    expect(blocks).toHaveLength(3)
    expect(blocks.reduce((rows, block) => rows + block.indptr.length - 1, 0)).toBe(texts.length)
    const threaded = await featurizeTextWith(texts, detectorExecutor.countTexts)
    const alone = featurizeText(texts)
    expect(threaded.matrix).toEqual(alone.matrix)
    expect(threaded.idf).toEqual(alone.idf)
  })

  it('keeps text scans on the calling thread unless asked to send texts', async () => {
    const textless = createWorkerDetectorExecutor({
      threads: 2,
      workerUrl: new URL('detector-worker.mjs', fixtures),
      minRows: 0,
    })
    const mails = spamDataset(150)
    const report = await scanDataset(mails, {
      backend,
      createdAt,
      seed: 1,
      detectorExecutor: textless,
      countTexts: textless.countTexts,
    })
    await textless.close()
    expect(textless.completedOnWorkers).toBe(0)
    expect(comparable(report)).toEqual(await singleThreaded(mails, 1))
  })

  it('sends texts through shared memory unchanged, lone surrogates and empty texts included', () => {
    const mails = spamDataset(20)
    const texts = [...mails.texts!.slice(0, 17), '', 'a \ud800 lone surrogate', 'ünïcödé 😀']
    const dataset = { ...mails, texts }
    const input = { ...dataset, dataset, features: undefined, modelFeatures: undefined } as never
    const received = receiveInput(structuredClone(wireInput(input)))
    expect(received.texts).toEqual(texts)
    expect(received.dataset.texts).toEqual(texts)
  })

  it('takes the built-in detectors only: one registered at run time stays on the calling thread', () => {
    expect(detectorExecutor.accepts(builtinDetectors.outliers)).toBe(true)
    expect(detectorExecutor.accepts(classDistanceDetector as never)).toBe(false)
  })
})
