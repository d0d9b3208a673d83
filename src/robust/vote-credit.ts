import type { FeatureMatrix } from '../data/matrix.js'
import { type KnnModel, neighbourVote, visitNeighbourhoods } from './knn.js'
import { hashRecordContent, hashRows } from './partition.js'

function sameRow(a: Float32Array, b: Float32Array): boolean {
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false
  return true
}

/** For each row a member stores, the rows of `train` with the same features (its copies in the training file). */
function trainingCopies(member: KnnModel, train: FeatureMatrix, byHash: Map<number, number[]>): number[][] {
  const { cols } = member
  return Array.from(member.labels, (_, stored) => {
    const features = member.features.subarray(stored * cols, (stored + 1) * cols)
    const candidates = byHash.get(hashRecordContent(features)) ?? []
    return candidates.filter((row) => sameRow(features, train.data.subarray(row * cols, (row + 1) * cols)))
  })
}

/**
 * How much of a k-NN ensemble's predictions of `inputs` each training record carried: every member that voted for
 * the ensemble's prediction of an input gives one vote, shared by its neighbours with that label (and, among
 * identical records, by their copies). The sum over records is the number of such votes; a record no member kept
 * (not in the ensemble's training data) gets 0.
 */
export function creditNeighbourVotes(
  members: readonly KnnModel[],
  train: FeatureMatrix,
  inputs: FeatureMatrix,
  predictions: Int32Array,
): Float64Array {
  const credit = new Float64Array(train.rows)
  const byHash = new Map<number, number[]>()
  hashRows(train).forEach((hash, row) => {
    const rows = byHash.get(hash)
    if (rows) rows.push(row)
    else byHash.set(hash, [row])
  })
  for (const member of members) {
    const copies = trainingCopies(member, train, byHash)
    const counts = new Int32Array(member.classCount)
    visitNeighbourhoods(member, inputs, (row, owners, count) => {
      const predicted = predictions[row]
      if (neighbourVote(member.labels, owners, count, counts) !== predicted) return
      const carriers = Array.from(owners.subarray(0, count)).filter(
        (owner) => member.labels[owner] === predicted,
      )
      for (const owner of carriers)
        for (const copy of copies[owner]) credit[copy] += 1 / carriers.length / copies[owner].length
    })
  }
  return credit
}
