import { afterAll, describe, expect, it } from 'vitest'
import { mnistDataset, spamDataset } from '../../test/fixtures/datasets.js'
import { featurizeText } from '../features/text.js'
import { createPortableBackend } from '../linalg/portable.js'
import {
  crossValidatedProbabilities,
  crossValidatedProbabilitiesWith,
  type FoldExecutor,
} from '../models/cross-validation.js'
import { scanDataset } from '../scan/scan.js'
import { createRng } from '../util/rng.js'
import { createWorkerFoldExecutor } from './worker-pool.js'

const workerUrl = new URL('../../test/fixtures/fold-worker.mjs', import.meta.url)
const executor = createWorkerFoldExecutor({ threads: 2, workerUrl })

afterAll(() => executor.close())

describe('createWorkerFoldExecutor', () => {
  it('returns bit for bit the out-of-fold probabilities of the sequential folds, dense and sparse', async () => {
    const digits = mnistDataset(600)
    const x = digits.features!
    const labels = digits.labels!.codes
    const sequential = crossValidatedProbabilities(x, labels, 10, { rng: createRng(4) })
    const progress: number[] = []
    const parallel = await crossValidatedProbabilitiesWith(executor, x, labels, 10, {
      rng: createRng(4),
      onProgress: (fraction) => progress.push(fraction),
    })
    expect(parallel.data).toEqual(sequential.data)
    expect(progress).toEqual([0.2, 0.4, 0.6, 0.8, 1])

    const mails = spamDataset(400)
    const { matrix } = featurizeText(mails.texts!)
    const sparseSequential = crossValidatedProbabilities(matrix, mails.labels!.codes, 2, {
      rng: createRng(9),
    })
    const sparseParallel = await crossValidatedProbabilitiesWith(executor, matrix, mails.labels!.codes, 2, {
      rng: createRng(9),
    })
    expect(sparseParallel.data).toEqual(sparseSequential.data)
  })

  it('keeps two cross-validations sharing the executor apart', async () => {
    const first = mnistDataset(300)
    const second = mnistDataset(300, 300)
    const run = (dataset: typeof first) =>
      crossValidatedProbabilitiesWith(executor, dataset.features!, dataset.labels!.codes, 10, {
        rng: createRng(2),
      })
    const [firstResult, secondResult] = await Promise.all([run(first), run(second)])
    const expected = (dataset: typeof first) =>
      crossValidatedProbabilities(dataset.features!, dataset.labels!.codes, 10, { rng: createRng(2) }).data
    expect(firstResult.data).toEqual(expected(first))
    expect(secondResult.data).toEqual(expected(second))
  })

  it('gives a scan the same report as the single-threaded run', async () => {
    const digits = mnistDataset(500)
    const backend = createPortableBackend()
    const createdAt = new Date(0)
    const single = await scanDataset(digits, { backend, createdAt, seed: 3 })
    const threaded = await scanDataset(digits, { backend, createdAt, seed: 3, executor })
    expect(threaded.records).toEqual(single.records)
    expect(threaded.summary).toEqual(single.summary)
    expect(threaded.detectors.map(({ durationMs, ...rest }) => rest)).toEqual(
      single.detectors.map(({ durationMs, ...rest }) => rest),
    )
  })

  it('runs the folds on the calling thread when its workers cannot start', async () => {
    const broken: FoldExecutor = createWorkerFoldExecutor({
      threads: 2,
      workerUrl: new URL('./missing-fold-worker.mjs', import.meta.url),
    })
    const digits = mnistDataset(200)
    const options = () => ({ rng: createRng(1) })
    const expected = crossValidatedProbabilities(digits.features!, digits.labels!.codes, 10, options())
    const result = await crossValidatedProbabilitiesWith(
      broken,
      digits.features!,
      digits.labels!.codes,
      10,
      options(),
    )
    expect(result.data).toEqual(expected.data)
  })

  it('stops at the next fold once aborted', async () => {
    const digits = mnistDataset(200)
    const controller = new AbortController()
    controller.abort(new Error('enough'))
    await expect(
      crossValidatedProbabilitiesWith(executor, digits.features!, digits.labels!.codes, 10, {
        rng: createRng(1),
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' })
  })
})
