import type { Detector, DetectorResult } from '../detectors/types.js'
import type { Finding, OperatingPoint, Severity } from '../domain/index.js'

export type FusionOptions = OperatingPoint

export const defaultFusionOptions: FusionOptions = { flagAbove: 0.5, mediumAbove: 0.7, highAbove: 0.9 }

export interface FusedScores {
  suspicion: Float32Array
  flagged: Uint8Array
  severities: (Severity | null)[]
  findings: Finding[][]
}

interface DetectorRun {
  detector: Pick<Detector, 'id' | 'kind' | 'standalone' | 'certainty'>
  result: DetectorResult
}

/** Detectors of one kind that must flag a record themselves before the fused score may flag it. */
function requiredVotes(detectorCount: number): number {
  return Math.min(2, detectorCount)
}

/** Mean of the two largest scores (or the only one): a third detector blind to an attack cannot dilute two that see it. */
function topTwoMean(first: number, second: number, count: number): number {
  return count === 1 ? first : (first + second) / 2
}

/**
 * Combines detectors into one suspicion per record: detectors of the same finding kind measure the same thing,
 * so the two strongest of them are averaged (independent evidence sharpens the estimate); different kinds are
 * different threats, so the strongest one decides (one strong signal is enough, weak ones cannot drown it).
 * A record is flagged when a kind's averaged score reaches `flagAbove` and two of that kind's detectors (or its
 * only one) flag it at their own operating points, since on clean data the detectors' mistakes rarely coincide;
 * or when one of them flags it and the averaged score reaches the high severity. Scores are first scaled by each
 * detector's declared `certainty`. A `standalone` detector, whose
 * scores are already backed by a dataset-level test, is not averaged with the others: it counts as a kind of its own.
 */
export function fuseDetectorResults(
  rowCount: number,
  runs: readonly DetectorRun[],
  describeLabel: (code: number) => string,
  options: FusionOptions = defaultFusionOptions,
): FusedScores {
  const byKind = new Map<string, DetectorRun[]>()
  for (const run of runs) {
    const group = run.detector.standalone ? `${run.detector.kind}:${run.detector.id}` : run.detector.kind
    byKind.set(group, [...(byKind.get(group) ?? []), run])
  }
  const suspicion = new Float32Array(rowCount)
  const flagged = new Uint8Array(rowCount)
  for (const kindRuns of byKind.values()) {
    const votesNeeded = requiredVotes(kindRuns.length)
    for (let row = 0; row < rowCount; row++) {
      let first = 0
      let second = 0
      let votes = 0
      for (const run of kindRuns) {
        const score = run.result.suspicion[row] * (run.detector.certainty ?? 1)
        if (score > first) {
          second = first
          first = score
        } else if (score > second) {
          second = score
        }
        votes += run.result.flagged[row]
      }
      const kindSuspicion = topTwoMean(first, second, kindRuns.length)
      suspicion[row] = Math.max(suspicion[row], kindSuspicion)
      const agreed = kindSuspicion >= options.flagAbove && votes >= votesNeeded
      const overwhelming = kindSuspicion >= options.highAbove && votes >= 1
      if (agreed || overwhelming) flagged[row] = 1
    }
  }
  const severities: (Severity | null)[] = new Array(rowCount).fill(null)
  const findings: Finding[][] = Array.from({ length: rowCount }, () => [])
  for (let row = 0; row < rowCount; row++) {
    if (flagged[row]) {
      severities[row] =
        suspicion[row] >= options.highAbove
          ? 'high'
          : suspicion[row] >= options.mediumAbove
            ? 'medium'
            : 'low'
    }
    for (const run of runs) {
      if (!run.result.flagged[row]) continue
      const finding: Finding = {
        detector: run.detector.id,
        kind: run.result.findingKinds?.[row] ?? run.detector.kind,
        score: roundScore(run.result.suspicion[row]),
        explanation: run.result.explanations[row] ?? `flagged by ${run.detector.id}`,
      }
      const suggested = run.result.suggestedLabels?.[row] ?? -1
      if (suggested >= 0) finding.suggestedLabel = describeLabel(suggested)
      findings[row].push(finding)
    }
  }
  return { suspicion, flagged, severities, findings }
}

/** Six decimals keep reports diffable while near-certain scores still rank apart. */
export function roundScore(score: number): number {
  return Math.round(score * 1_000_000) / 1_000_000
}
