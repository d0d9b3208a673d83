import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { certifyFiniteAggregation, certifyPartitionVotes, summarizeCertificates } from './certificate.js'
import { bucketMembers } from './partition.js'

const classCount = 4

/** The fewest buckets whose members, all turned to some other class, change the plurality winner (brute force). */
function bruteForceBreak(predictions: number[], spread: number): number {
  const memberCount = predictions.length
  const winner = (votes: number[]) => {
    const counts = new Array(classCount).fill(0)
    for (const vote of votes) counts[vote]++
    return counts.indexOf(Math.max(...counts))
  }
  const original = winner(predictions)
  for (let size = 1; size <= memberCount; size++) {
    const combos = (start: number, left: number, chosen: number[]): boolean => {
      if (left === 0) {
        const touched = new Set(chosen.flatMap((bucket) => bucketMembers(bucket, spread, memberCount)))
        for (let target = 0; target < classCount; target++) {
          if (target === original) continue
          const changed = predictions.map((vote, member) => (touched.has(member) ? target : vote))
          if (winner(changed) !== original) return true
        }
        return false
      }
      for (let bucket = start; bucket < memberCount; bucket++)
        if (combos(bucket + 1, left - 1, [...chosen, bucket])) return true
      return false
    }
    if (combos(0, size, [])) return size
  }
  return memberCount + 1
}

describe('certificates', () => {
  it('gives ⌊(n_top − n_second − [second < top]) / 2⌋ with ties to the lower class', () => {
    const votes = Int32Array.from([5, 1, 3, 0, 2, 4, 0, 4, 0, 3, 3, 0])
    expect(certifyPartitionVotes(votes, 4).map((p) => [p.predicted, p.runnerUp, p.certificate])).toEqual([
      [0, 2, 1],
      [1, 3, 0],
      [1, 2, 0],
    ])
  })

  it('Finite Aggregation with one bucket per member is Deep Partition Aggregation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: classCount - 1 }), { minLength: 1, maxLength: 30 }),
        (members) => {
          const votes = new Int32Array(classCount)
          for (const vote of members) votes[vote]++
          const [partition] = certifyPartitionVotes(votes, classCount)
          expect(certifyFiniteAggregation(Int32Array.from(members), classCount, 1)).toEqual(partition)
        },
      ),
    )
  })

  it('never certifies more buckets than the fewest that change the vote, for any spread', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: classCount - 1 }), { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        (members, spread) => {
          const certified = certifyFiniteAggregation(Int32Array.from(members), classCount, spread)
          expect(certified.certificate).toBeLessThan(
            bruteForceBreak(members, Math.min(spread, members.length)),
          )
        },
      ),
      { numRuns: 200 },
    )
  })

  it('summarises clean accuracy, the median radius with wrong predictions at −1, and a falling curve', () => {
    const votes = Int32Array.from([9, 1, 0, 6, 4, 0, 3, 5, 2, 0, 10, 0])
    const predictions = certifyPartitionVotes(votes, 3)
    const summary = summarizeCertificates(predictions, Int32Array.from([0, 0, 0, 1]))
    expect(predictions.map((p) => p.certificate)).toEqual([4, 1, 0, 4])
    expect(summary.cleanAccuracy).toBe(0.75)
    expect(summary.medianRadius).toBe(1)
    expect(summary.curve.map((point) => point.certifiedAccuracy)).toEqual([0.75, 0.75, 0.5, 0.5, 0.5])
  })
})
