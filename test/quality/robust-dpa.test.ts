import { beforeAll, describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../../src/data/matrix.js'
import { type CertifiedPrediction, summarizeCertificates } from '../../src/robust/certificate.js'
import {
  certifyEnsemble,
  certifyPredictions,
  fitMember,
  type MemberExecutor,
  type PartitionEnsemble,
  predictEnsembleMembers,
  sequentialMemberExecutor,
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
/** Each member's prediction of every test digit: the certificates count them, the attacks below read them. */
let memberVotes: Int32Array[]
let certified: CertifiedPrediction[]

beforeAll(async () => {
  ensemble = await trainPartitionEnsemble(split.train, split.trainLabels, { partitions: 100 })
  memberVotes = await predictEnsembleMembers(ensemble, split.test)
  certified = certifyPredictions(ensemble, memberVotes)
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
  const { cols } = train
  const rows = train.rows - deleted.size + inserted.length
  const data = new Float32Array(rows * cols)
  const labels = new Int32Array(rows)
  // The kept rows are copied in runs between the deleted ones: forty training sets are built.
  let written = 0
  let start = 0
  for (const end of [...Array.from(deleted).sort((a, b) => a - b), train.rows]) {
    data.set(train.data.subarray(start * cols, end * cols), written * cols)
    labels.set(trainLabels.subarray(start, end), written)
    written += end - start
    start = end + 1
  }
  for (const { row, label } of inserted) {
    data.set(row, written * cols)
    labels[written++] = label
  }
  return { x: { data, rows, cols }, labels }
}

/** A near-copy of `point` (one background pixel nudged) whose content hash lands in `partition`. */
function craftInto(point: Float32Array, partition: number, partitions: number): Float32Array {
  const copy = Float32Array.from(point)
  for (let step = 1; ; step++) {
    copy[0] = step * 1e-4
    if (hashRecordContent(copy) % partitions === partition) return copy
  }
}

/**
 * Fits the members of `changed` partitions and hands back the clean ensemble's model for every other one: their
 * partitions hold the same records as before the attack, in the same order, so they train the same model.
 */
function refitting(changed: ReadonlySet<number>): MemberExecutor {
  return {
    async fitMembers(tasks) {
      return tasks.map((task, member) => {
        if (changed.has(member)) return fitMember(task)
        const before = ensemble.members[member]
        // A record moved into or out of a partition not named here would leave it stale.
        expect(before.kind === 'knn' && before.labels.length).toBe(task.rows.length)
        return before
      })
    },
    predictMembers: sequentialMemberExecutor.predictMembers,
  }
}

/** The prediction for `point` of the ensemble retrained on `poisoned`, whose records differ in `changed` partitions. */
async function predictAfter(
  poisoned: { x: FeatureMatrix; labels: Int32Array },
  changed: ReadonlySet<number>,
  point: FeatureMatrix,
) {
  const retrained = await trainPartitionEnsemble(
    poisoned.x,
    poisoned.labels,
    { partitions: 100 },
    refitting(changed),
  )
  return (await certifyEnsemble(retrained, point))[0].predicted
}

describe('DPA certificates under adversarial poisoning', () => {
  it('holds at the certified number of inserted and deleted records and flips at one more', async () => {
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
      const held = new Set(votingForPrediction.slice(0, certificate))
      expect(
        await predictAfter(poisonedTraining(deleted, insertions(insertedCount)), held, pointMatrix),
      ).toBe(predicted)
      const flipped = new Set(votingForPrediction.slice(0, certificate + 1))
      expect(
        await predictAfter(poisonedTraining(new Set(), insertions(certificate + 1)), flipped, pointMatrix),
      ).toBe(runnerUp)
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
