import type { Detector, DetectorResult } from '../detectors/types.js'
import type { Finding, OperatingPoint, Severity } from '../domain/index.js'
import { selectByLocalFdr } from './false-discovery.js'

/** The operating point and the false-discovery rate the fused decision keeps to. */
export interface FusionOptions extends OperatingPoint {
  /** Expected share of false alarms among flagged records (and level of each detector's dataset-level test). */
  fdr: number
}

export const defaultFusionOptions: FusionOptions = {
  flagAbove: 0.5,
  mediumAbove: 0.7,
  highAbove: 0.9,
  fdr: 0.01,
}

export interface FusedScores {
  suspicion: Float32Array
  flagged: Uint8Array
  severities: (Severity | null)[]
  findings: Finding[][]
  /** Sum of the flagged records' chances of being false alarms. */
  expectedFalseAlarms: number
  /** Detectors whose dataset-level test found nothing at `fdr`, so they added no flags. */
  quietDetectors: string[]
}

interface DetectorRun {
  detector: Pick<Detector, 'id' | 'kind' | 'standalone' | 'certainty'>
  result: DetectorResult
}

/** Mean of the two largest scores (or the only one): a third detector blind to an attack cannot dilute two that see it. */
function topTwoMean(first: number, second: number, count: number): number {
  return count === 1 ? first : (first + second) / 2
}

/**
 * How much of its suspicion a detector keeps when its own dataset-level test found nothing: enough to rank a
 * record, never enough to outrank evidence a test stands behind.
 */
const quietWeight = 0.5

/** Whether a detector's dataset-level test, when it has one, failed to find its threat at the target rate. */
function isQuiet(run: DetectorRun, fdr: number): boolean {
  const pValue = run.result.datasetPValue
  return run.detector.kind !== 'label_issue' && pValue !== undefined && !(pValue < fdr)
}

interface GroupScores {
  suspicion: Float32Array
  /** Records at least one of the group's detectors flags itself. */
  voted: Uint8Array
}

/** Fused suspicion of one group of detectors of a kind and the records any of them flags. */
function scoreGroup(rowCount: number, runs: readonly DetectorRun[], fdr: number): GroupScores {
  const suspicion = new Float32Array(rowCount)
  const voted = new Uint8Array(rowCount)
  for (let row = 0; row < rowCount; row++) {
    let first = 0
    let second = 0
    for (const run of runs) {
      const quiet = isQuiet(run, fdr)
      const score = run.result.suspicion[row] * (run.detector.certainty ?? 1) * (quiet ? quietWeight : 1)
      if (score > first) {
        second = first
        first = score
      } else if (score > second) {
        second = score
      }
      if (!quiet && run.result.flagged[row]) voted[row] = 1
    }
    suspicion[row] = topTwoMean(first, second, runs.length)
  }
  return { suspicion, voted }
}

/**
 * Each record's chance of being a false alarm if flagged for this group: the smallest its detectors estimate
 * (label-issues reads wrong labels against the data's own noise), else one minus the group's suspicion, which
 * detectors backed by a dataset-level test calibrate as the chance of poisoning.
 */
function falseAlarmChances(runs: readonly DetectorRun[], group: GroupScores, fdr: number): Float64Array {
  const estimated = runs.filter((run) => run.result.falseAlarmChances && !isQuiet(run, fdr))
  if (estimated.length === 0) return Float64Array.from(group.suspicion, (score) => 1 - score)
  const chances = new Float64Array(group.suspicion.length).fill(1)
  for (const run of estimated)
    run.result.falseAlarmChances!.forEach((chance, row) => {
      chances[row] = Math.min(chances[row], chance)
    })
  return chances
}

/** A record no detector flags may still be chosen when its estimated chance of a false alarm is below this. */
const eligibleBelow = 0.5

/** Detectors grouped by kind; a `standalone` detector is a group of its own. */
function groupRuns(runs: readonly DetectorRun[]) {
  const byKind = new Map<string, DetectorRun[]>()
  for (const run of runs) {
    const group = run.detector.standalone ? `${run.detector.kind}:${run.detector.id}` : run.detector.kind
    byKind.set(group, [...(byKind.get(group) ?? []), run])
  }
  return [...byKind.values()]
}

/**
 * Combines detectors into one suspicion per record: detectors of the same finding kind measure the same thing,
 * so the two strongest of them are averaged (independent evidence sharpens the estimate); different kinds are
 * different threats, so the strongest one decides (one strong signal is enough, weak ones cannot drown it).
 * Scores are first scaled by each detector's declared `certainty`; a `standalone` detector, whose scores are
 * already backed by a dataset-level test, counts as a kind of its own. A detector whose dataset-level test finds
 * nothing at `fdr` keeps only part of its suspicion and flags nothing: with no attack in evidence, it cannot drown
 * label detectors that agree. Records are flagged by false-discovery control: among the records a detector flags
 * itself, the largest set whose mean chance of being a false alarm stays within `fdr`.
 */
export function fuseDetectorResults(
  rowCount: number,
  runs: readonly DetectorRun[],
  describeLabel: (code: number) => string,
  operatingPoint: OperatingPoint & { fdr?: number } = defaultFusionOptions,
): FusedScores {
  const options = { ...operatingPoint, fdr: operatingPoint.fdr ?? defaultFusionOptions.fdr }
  const suspicion = new Float32Array(rowCount)
  const chances = new Float64Array(rowCount).fill(1)
  const eligible = new Uint8Array(rowCount)
  for (const groupRunsOfKind of groupRuns(runs)) {
    const group = scoreGroup(rowCount, groupRunsOfKind, options.fdr)
    const groupChances = falseAlarmChances(groupRunsOfKind, group, options.fdr)
    for (let row = 0; row < rowCount; row++) {
      suspicion[row] = Math.max(suspicion[row], group.suspicion[row])
      if (!group.voted[row] && !(groupChances[row] < eligibleBelow)) continue
      eligible[row] = 1
      chances[row] = Math.min(chances[row], groupChances[row])
    }
  }
  const { selected: flagged, expectedFalseAlarms } = selectByLocalFdr(chances, eligible, options.fdr)
  const quiet = new Set(runs.filter((run) => isQuiet(run, options.fdr)).map((run) => run.detector.id))
  const severities: (Severity | null)[] = Array.from(flagged, (flag, row) =>
    flag ? severityOf(suspicion[row], options) : null,
  )
  const findings = Array.from({ length: rowCount }, (_, row) =>
    runs.flatMap((run) =>
      run.result.flagged[row] && !quiet.has(run.detector.id) ? [findingOf(run, row, describeLabel)] : [],
    ),
  )
  return { suspicion, flagged, severities, findings, expectedFalseAlarms, quietDetectors: [...quiet] }
}

function severityOf(suspicion: number, options: OperatingPoint): Severity {
  return suspicion >= options.highAbove ? 'high' : suspicion >= options.mediumAbove ? 'medium' : 'low'
}

function findingOf(run: DetectorRun, row: number, describeLabel: (code: number) => string): Finding {
  const finding: Finding = {
    detector: run.detector.id,
    kind: run.result.findingKinds?.[row] ?? run.detector.kind,
    score: roundScore(run.result.suspicion[row]),
    explanation: run.result.explanations[row] ?? `flagged by ${run.detector.id}`,
  }
  const suggested = run.result.suggestedLabels?.[row] ?? -1
  if (suggested >= 0) finding.suggestedLabel = describeLabel(suggested)
  return finding
}

/** Six decimals keep reports diffable while near-certain scores still rank apart. */
export function roundScore(score: number): number {
  return Math.round(score * 1_000_000) / 1_000_000
}
