import { afterAll, describe, expect, it } from 'vitest'
import { mnistDataset } from '../../test/fixtures/datasets.js'
import { selectRows } from '../data/matrix.js'
import { createWorkerMemberExecutor } from '../parallel/member-executor.js'
import { createRng, shuffledIndices } from '../util/rng.js'
import { certifyEnsemble, trainPartitionEnsemble } from './ensemble.js'
import { compareSourceModels } from './per-source.js'

const digits = mnistDataset(700)
const x = digits.features!
const labels = digits.labels!.codes
const test = { data: x.data.subarray(600 * x.cols), rows: 100, cols: x.cols }
const train = { data: x.data.subarray(0, 600 * x.cols), rows: 600, cols: x.cols }
const trainLabels = labels.subarray(0, 600)

const executor = createWorkerMemberExecutor({
  threads: 2,
  workerUrl: new URL('../../test/fixtures/member-worker.mjs', import.meta.url),
})
afterAll(() => executor.close())

describe('partition ensembles', () => {
  it('depend on the records’ content, not their order, and train the same on worker threads', async () => {
    const options = { partitions: 7, learner: 'logreg' as const }
    const sequential = await certifyEnsemble(await trainPartitionEnsemble(train, trainLabels, options), test)
    const order = shuffledIndices(600, createRng(3))
    const shuffled = await trainPartitionEnsemble(
      selectRows(train, order),
      Int32Array.from(order, (row) => trainLabels[row]),
      options,
      executor,
    )
    expect(await certifyEnsemble(shuffled, test, executor)).toEqual(sequential)
  })

  it('feeds every bucket to `spread` members under Finite Aggregation', async () => {
    const ensemble = await trainPartitionEnsemble(train, trainLabels, {
      partitions: 4,
      scheme: 'finite',
      spread: 3,
    })
    expect(ensemble.members).toHaveLength(12)
    const rowsSeen = ensemble.members.reduce(
      (sum, member) => sum + (member.kind === 'knn' ? member.labels.length : 0),
      0,
    )
    expect(rowsSeen).toBe(3 * 600)
    const certified = await certifyEnsemble(ensemble, test)
    for (const prediction of certified) expect(prediction.certificate).toBeLessThan(12)
  })

  it('lists every problem with its options in one typed error', async () => {
    await expect(
      trainPartitionEnsemble(train, trainLabels.subarray(0, 10), { partitions: 0, learner: 'knn' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      issues: [
        { message: 'partitions 0 (expected a whole number ≥ 1)' },
        { message: '10 labels for 600 rows' },
      ],
    })
    await expect(
      trainPartitionEnsemble(train, trainLabels, { partitions: 3, learner: 'forest' as 'knn' }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_NAME' })
  })
})

describe('per-source models', () => {
  it('compare random subsets by content hash when the records have no source', async () => {
    const report = await compareSourceModels(train, trainLabels, { subsets: 4 })
    expect(report.grouping).toBe('random-subset')
    expect(report.sources.map((source) => source.source).sort()).toEqual([
      'subset-1',
      'subset-2',
      'subset-3',
      'subset-4',
    ])
    expect(report.sources.reduce((sum, source) => sum + source.recordCount, 0)).toBe(600)
    for (const source of report.sources) {
      expect(source.pValue).toBeGreaterThanOrEqual(0)
      expect(source.pValue).toBeLessThanOrEqual(1)
      expect(source.records.length).toBe(source.labelDisagreements)
    }
  })

  it('need three groups to tell one apart', async () => {
    await expect(
      compareSourceModels(train, trainLabels, {
        sources: Array.from({ length: 600 }, (_, row) => (row % 2 ? 'a' : 'b')),
      }),
    ).rejects.toMatchObject({ code: 'NOT_ENOUGH_DATA' })
  })
})
