import { bucketMembers } from './partition.js'

/** The ensemble's vote on one record and how many training records it withstands. */
export interface CertifiedPrediction {
  readonly predicted: number
  /** Votes of the predicted class and of the strongest other class (the lower index among equals). */
  readonly topVotes: number
  readonly runnerUp: number
  readonly runnerUpVotes: number
  /**
   * Training records an attacker may insert, delete or relabel (each touches one bucket) without changing the
   * prediction; −1 never happens for a plurality winner, 0 means one record may already change it.
   */
  readonly certificate: number
}

/** Plurality vote over `votes` (counts per class); ties go to the lower class index. */
export function pluralityWinner(votes: ArrayLike<number>, offset: number, classCount: number): number {
  let best = 0
  for (let c = 1; c < classCount; c++) if (votes[offset + c] > votes[offset + best]) best = c
  return best
}

function runnerUpOf(votes: ArrayLike<number>, offset: number, classCount: number, top: number): number {
  let second = top === 0 ? 1 : 0
  for (let c = 0; c < classCount; c++) if (c !== top && votes[offset + c] > votes[offset + second]) second = c
  return second
}

/**
 * Deep Partition Aggregation's certificate ⌊(n_top − n_second − [second < top]) / 2⌋: each poisoned record changes
 * one partition's vote, which narrows the gap by at most two.
 * @see Levine & Feizi (2021), Deep Partition Aggregation, ICLR, Theorem 1.
 */
export function certifyPartitionVotes(votes: Int32Array, classCount: number): CertifiedPrediction[] {
  const records = votes.length / classCount
  return Array.from({ length: records }, (_, record) => {
    const offset = record * classCount
    const predicted = pluralityWinner(votes, offset, classCount)
    const runnerUp = runnerUpOf(votes, offset, classCount, predicted)
    const gap = votes[offset + predicted] - votes[offset + runnerUp] - (runnerUp < predicted ? 1 : 0)
    return {
      predicted,
      topVotes: votes[offset + predicted],
      runnerUp,
      runnerUpVotes: votes[offset + runnerUp],
      certificate: Math.floor(gap / 2),
    }
  })
}

/**
 * Finite Aggregation's certificate for one record from each member's prediction: for every other class `c`, the
 * fewest buckets whose members' votes, turned to `c`, could close the margin (each bucket's reach summed on its
 * own, an upper bound on what several buckets sharing members reach together); the certificate is one less than
 * the fewest over all classes. With one bucket per member it equals Deep Partition Aggregation's.
 * @see Wang, Levine & Feizi (2022), Improved certified defenses against data poisoning with (deterministic)
 * finite aggregation, ICML, Theorem 2.
 */
export function certifyFiniteAggregation(
  memberPredictions: Int32Array,
  classCount: number,
  spread: number,
): CertifiedPrediction {
  const memberCount = memberPredictions.length
  const votes = new Int32Array(classCount)
  for (const vote of memberPredictions) votes[vote]++
  const predicted = pluralityWinner(votes, 0, classCount)
  const runnerUp = runnerUpOf(votes, 0, classCount, predicted)
  let fewest = memberCount + 1
  const reach = new Int32Array(memberCount)
  for (let other = 0; other < classCount; other++) {
    if (other === predicted) continue
    // The prediction survives while n_y − n_c + [y < c] stays at least 1.
    const margin = votes[predicted] - votes[other] + (predicted < other ? 1 : 0)
    for (let bucket = 0; bucket < memberCount; bucket++) {
      let gain = 0
      for (const member of bucketMembers(bucket, spread, memberCount)) {
        const vote = memberPredictions[member]
        gain += vote === predicted ? 2 : vote === other ? 0 : 1
      }
      reach[bucket] = gain
    }
    reach.sort().reverse()
    let closed = 0
    let needed = 0
    while (needed < memberCount && closed < margin) closed += reach[needed++]
    if (closed >= margin) fewest = Math.min(fewest, needed)
  }
  return {
    predicted,
    topVotes: votes[predicted],
    runnerUp,
    runnerUpVotes: votes[runnerUp],
    certificate: fewest - 1,
  }
}

/** Certified accuracy at every radius from 0 to the largest certificate: the share correct and certified ≥ r. */
export interface CertifiedCurvePoint {
  readonly radius: number
  readonly certifiedAccuracy: number
}

/** Summary of certified predictions against true labels. */
export interface CertificationSummary {
  readonly cleanAccuracy: number
  /** Median certificate over all records, a wrong prediction counting as −1 (certified at no radius). */
  readonly medianRadius: number
  readonly curve: CertifiedCurvePoint[]
}

/** The radius each record is certified correct at: its certificate when right, −1 when wrong. */
export function certifiedRadii(predictions: readonly CertifiedPrediction[], labels: Int32Array): Int32Array {
  return Int32Array.from(predictions, (prediction, record) =>
    prediction.predicted === labels[record] ? prediction.certificate : -1,
  )
}

/** Clean accuracy, median certified radius and the certified-accuracy curve. */
export function summarizeCertificates(
  predictions: readonly CertifiedPrediction[],
  labels: Int32Array,
): CertificationSummary {
  const radii = certifiedRadii(predictions, labels)
  const count = radii.length
  const sorted = Int32Array.from(radii).sort()
  const largest = count > 0 ? sorted[count - 1] : -1
  // Certified at r when the radius is ≥ r: count from the top down in one pass.
  const atLeast = new Int32Array(Math.max(largest, 0) + 2)
  for (const radius of radii) if (radius >= 0) atLeast[radius]++
  for (let radius = atLeast.length - 2; radius >= 0; radius--) atLeast[radius] += atLeast[radius + 1]
  const curve = Array.from({ length: Math.max(largest, 0) + 1 }, (_, radius) => ({
    radius,
    certifiedAccuracy: count > 0 ? atLeast[radius] / count : 0,
  }))
  return {
    cleanAccuracy: count > 0 ? atLeast[0] / count : 0,
    medianRadius: count > 0 ? lowerMedian(sorted) : -1,
    curve,
  }
}

/** The lower median, a whole number of records like the certificates. */
function lowerMedian(sorted: Int32Array): number {
  return sorted[Math.floor((sorted.length - 1) / 2)]
}
