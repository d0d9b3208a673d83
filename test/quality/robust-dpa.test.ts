import { beforeAll, describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../../src/data/matrix.js'
import { type CertifiedPrediction, summarizeCertificates } from '../../src/robust/certificate.js'
import {
  certifyEnsemble,
  type PartitionEnsemble,
  predictEnsembleMembers,
  trainPartitionEnsemble,
} from '../../src/robust/ensemble.js'
import { assignBuckets, hashRecordContent, hashRows } from '../../src/robust/partition.js'
import { mnistSplit } from '../fixtures/mnist-split.js'

/*
 * The members train and vote on this thread: worker threads give the same ensembles (src/robust/ensemble.test.ts),
 * and next to the suite's other worker they only added the cost of starting them (1.5 s of CPU for two).
 */
const split = mnistSplit()
let ensemble: PartitionEnsemble
let certified: CertifiedPrediction[]

beforeAll(async () => {
  ensemble = await trainPartitionEnsemble(split.train, split.trainLabels, { partitions: 100 })
  certified = await certifyEnsemble(ensemble, split.test)
})

describe('Deep Partition Aggregation on the 8,000 / 2,000 MNIST split', () => {
  it('keeps 85% clean accuracy with 100 partitions and certifies the median test digit against 20 poisoned records', () => {
    const summary = summarizeCertificates(certified, split.testLabels)
    expect(summary.cleanAccuracy).toBeGreaterThanOrEqual(0.85)
    expect(summary.medianRadius).toBeGreaterThanOrEqual(20)
    expect(summary.curve[0].certifiedAccuracy).toBe(summary.cleanAccuracy)
    expect(summary.curve.at(-1)!.certifiedAccuracy).toBeGreaterThan(0)
  })
})

/** Training set with `deleted` rows left out and `inserted` rows (with their labels) appended. */
function poisonedTraining(deleted: ReadonlySet<number>, inserted: { row: Float32Array; label: number }[]) {
  const { train, trainLabels } = split
  const kept = Array.from({ length: train.rows }, (_, row) => row).filter((row) => !deleted.has(row))
  const rows = kept.length + inserted.length
  const data = new Float32Array(rows * train.cols)
  for (const [index, row] of kept.entries())
    data.set(train.data.subarray(row * train.cols, (row + 1) * train.cols), index * train.cols)
  for (const [index, { row }] of inserted.entries()) data.set(row, (kept.length + index) * train.cols)
  const labels = Int32Array.from([
    ...kept.map((row) => trainLabels[row]),
    ...inserted.map(({ label }) => label),
  ])
  return { x: { data, rows, cols: train.cols }, labels }
}

/** A near-copy of `point` (one background pixel nudged) whose content hash lands in `partition`. */
function craftInto(point: Float32Array, partition: number, partitions: number): Float32Array {
  const copy = Float32Array.from(point)
  for (let step = 1; ; step++) {
    copy[0] = step * 1e-4
    if (hashRecordContent(copy) % partitions === partition) return copy
  }
}

async function predictAfter(poisoned: { x: FeatureMatrix; labels: Int32Array }, point: FeatureMatrix) {
  const retrained = await trainPartitionEnsemble(poisoned.x, poisoned.labels, { partitions: 100 })
  return (await certifyEnsemble(retrained, point))[0].predicted
}

describe('DPA certificates under adversarial poisoning', () => {
  it('holds at the certified number of inserted and deleted records and flips at one more', async () => {
    const memberVotes = await predictEnsembleMembers(ensemble, split.test)
    const buckets = assignBuckets(hashRows(split.train), 100)
    // Twenty correctly predicted test digits spread over the range of certificates.
    const candidates = certified
      .map((prediction, row) => ({ ...prediction, row }))
      .filter(
        (prediction) =>
          prediction.predicted === split.testLabels[prediction.row] && prediction.certificate > 0,
      )
      .sort((a, b) => a.certificate - b.certificate)
    const chosen = Array.from(
      { length: 20 },
      (_, index) => candidates[Math.floor((index * candidates.length) / 20)],
    )
    for (const { row, predicted, runnerUp, certificate } of chosen) {
      const point = split.test.data.subarray(row * split.test.cols, (row + 1) * split.test.cols)
      const pointMatrix = { data: point, rows: 1, cols: split.test.cols }
      // The attacker spends every record on a partition that votes for the prediction.
      const votingForPrediction = memberVotes.flatMap((votes, member) =>
        votes[row] === predicted ? [member] : [],
      )
      const insertions = (count: number) =>
        votingForPrediction
          .slice(0, count)
          .map((member) => ({ row: craftInto(point, member, 100), label: runnerUp }))
      // Up to the certificate, half the records inserted and half deleted: from each partition, the neighbour that
      // casts its vote.
      const insertedCount = Math.ceil(certificate / 2)
      const deleted = new Set(
        votingForPrediction
          .slice(insertedCount, certificate)
          .map((member) => nearestInPartition(point, buckets, member)),
      )
      expect(insertedCount + deleted.size).toBe(certificate)
      expect(await predictAfter(poisonedTraining(deleted, insertions(insertedCount)), pointMatrix)).toBe(
        predicted,
      )
      expect(await predictAfter(poisonedTraining(new Set(), insertions(certificate + 1)), pointMatrix)).toBe(
        runnerUp,
      )
    }
  })
})

function nearestInPartition(point: Float32Array, buckets: Int32Array, partition: number): number {
  const { train } = split
  let nearest = -1
  let nearestDistance = Number.POSITIVE_INFINITY
  for (let row = 0; row < train.rows; row++) {
    if (buckets[row] !== partition) continue
    let distance = 0
    for (let j = 0; j < train.cols; j++) distance += (train.data[row * train.cols + j] - point[j]) ** 2
    if (distance < nearestDistance) {
      nearestDistance = distance
      nearest = row
    }
  }
  return nearest
}
