import type { Detector, DetectorResult } from '../detectors/types.js'
import type { Finding, FindingKind, OperatingPoint, Severity } from '../domain/index.js'
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

/**
 * Whether a detector's score on a record it does not flag itself still ranks the record: a label detector's always
 * does (label evidence is read record by record), an attack detector's only once its dataset-level test found its
 * threat at the target rate. Without that test behind it, such a score is the detector's noise floor, and at the
 * bottom of the list it would outrank the label evidence that orders the records there.
 */
function ranksUnflagged(run: DetectorRun, fdr: number): boolean {
  const pValue = run.result.datasetPValue
  return run.detector.kind === 'label_issue' || (pValue !== undefined && pValue < fdr)
}

interface GroupScores {
  suspicion: Float32Array
  /** The suspicion the fused ranking reads: scores only where `ranksUnflagged` or the detector flags the record. */
  ranking: Float32Array
  /** Records at least one of the group's detectors flags itself. */
  voted: Uint8Array
}

/**
 * Fused suspicion of one group of detectors of a kind and the records any of them flags. A detector that estimates
 * each record's chance of a false alarm against the data's own noise has already weighed the evidence of its kind
 * (label-issues reads the neighbours' labels as well as the model), so it ranks the group alone: averaging it with
 * uncalibrated scores of the same kind would only blur it.
 */
function scoreGroup(rowCount: number, runs: readonly DetectorRun[], fdr: number): GroupScores {
  const calibrated = runs.filter((run) => run.result.falseAlarmChances && !isQuiet(run, fdr))
  const ranking = calibrated.length > 0 ? calibrated : runs
  const weights = ranking.map((run) => (run.detector.certainty ?? 1) * (isQuiet(run, fdr) ? quietWeight : 1))
  const backed = ranking.map((run) => ranksUnflagged(run, fdr))
  const scores = new Float64Array(ranking.length)
  const suspicion = new Float32Array(rowCount)
  const rankingScores = new Float32Array(rowCount)
  const rankedScores = ranking.map((run) => run.result.suspicion)
  const rankedFlags = ranking.map((run) => run.result.flagged)
  for (let row = 0; row < rowCount; row++) {
    for (let index = 0; index < ranking.length; index++)
      scores[index] = rankedScores[index][row] * weights[index]
    suspicion[row] = topTwoMeanOf(scores, ranking.length)
    for (let index = 0; index < ranking.length; index++)
      if (!backed[index] && !rankedFlags[index][row]) scores[index] = 0
    rankingScores[row] = topTwoMeanOf(scores, ranking.length)
  }
  const voted = new Uint8Array(rowCount)
  for (const run of runs) {
    if (isQuiet(run, fdr)) continue
    const flags = run.result.flagged
    for (let row = 0; row < rowCount; row++) if (flags[row]) voted[row] = 1
  }
  return { suspicion, ranking: rankingScores, voted }
}

function topTwoMeanOf(scores: Float64Array, count: number): number {
  let first = 0
  let second = 0
  for (let index = 0; index < scores.length; index++) {
    const score = scores[index]
    if (score > first) {
      second = first
      first = score
    } else if (score > second) {
      second = score
    }
  }
  return topTwoMean(first, second, count)
}

/**
 * Each record's chance of being a false alarm if flagged for this group: the smallest its detectors estimate
 * (label-issues reads wrong labels against the data's own noise), else one minus the group's suspicion, which
 * detectors backed by a dataset-level test calibrate as the chance of poisoning.
 */
function falseAlarmChances(runs: readonly DetectorRun[], group: GroupScores, fdr: number): Float64Array {
  const estimated = runs.filter((run) => run.result.falseAlarmChances && !isQuiet(run, fdr))
  const chances = new Float64Array(group.suspicion.length)
  if (estimated.length === 0) {
    for (let row = 0; row < chances.length; row++) chances[row] = 1 - group.suspicion[row]
    return chances
  }
  chances.fill(1)
  for (const run of estimated) {
    const estimates = run.result.falseAlarmChances!
    for (let row = 0; row < chances.length; row++) chances[row] = Math.min(chances[row], estimates[row])
  }
  return chances
}

/**
 * Whether a detector's flags name the carriers of an attack it found: a detector of another kind than labels whose
 * scores stand on a dataset-level test (a mined trigger) that passed at the target rate.
 */
function namesCarriers(run: DetectorRun, fdr: number): boolean {
  return run.detector.kind !== 'label_issue' && run.detector.standalone === true && ranksUnflagged(run, fdr)
}

/**
 * Lifts the suspicion of an attack's carriers above every other record's label doubt, keeping their order: a
 * carrier stands on an attack found in the whole dataset, a doubt on one record's label, which a natural hard record
 * earns as well. Label doubts still order the other records as before, and nothing moves when no attack was found.
 */
function liftCarriers(suspicion: Float32Array, carriers: Uint8Array, labelDoubts: Float32Array): void {
  let ceiling = 0
  for (let row = 0; row < carriers.length; row++)
    if (!carriers[row]) ceiling = Math.max(ceiling, labelDoubts[row])
  for (let row = 0; row < carriers.length; row++)
    if (carriers[row]) suspicion[row] = ceiling + (1 - ceiling) * suspicion[row]
}

/** A record no detector flags may still be chosen when its estimated chance of a false alarm is below this. */
const eligibleBelow = 0.5

/** Finding kinds that are evidence of another kind: copies with conflicting labels are evidence about labels. */
const evidenceKind: Partial<Record<FindingKind, FindingKind>> = { contradiction: 'label_issue' }

/**
 * A detector's findings of a kind that is evidence of another kind (a near-duplicate detector's contradictions)
 * split off as a run of that kind, so they are weighed with the detectors of the kind they speak about.
 */
function splitEvidence(run: DetectorRun): DetectorRun[] {
  const kinds = run.result.findingKinds
  if (!kinds) return [run]
  const moved = new Map<FindingKind, Uint8Array>()
  kinds.forEach((kind, row) => {
    const target = kind && evidenceKind[kind]
    if (!target || target === run.detector.kind) return
    if (!moved.has(target)) moved.set(target, new Uint8Array(kinds.length))
    moved.get(target)![row] = 1
  })
  if (moved.size === 0) return [run]
  const rest = new Uint8Array(kinds.length).fill(1)
  const part = (kind: FindingKind, rows: Uint8Array): DetectorRun => ({
    detector: { ...run.detector, kind },
    result: {
      ...run.result,
      suspicion: run.result.suspicion.map((score, row) => (rows[row] ? score : 0)),
      flagged: run.result.flagged.map((flag, row) => flag & rows[row]),
    },
  })
  const parts = [...moved].map(([kind, rows]) => {
    rows.forEach((inside, row) => {
      if (inside) rest[row] = 0
    })
    return part(kind, rows)
  })
  return [part(run.detector.kind, rest), ...parts]
}

/** Detectors grouped by kind; a `standalone` detector is a group of its own. */
function groupRuns(runs: readonly DetectorRun[]) {
  const byKind = new Map<string, DetectorRun[]>()
  for (const run of runs.flatMap(splitEvidence)) {
    const group = run.detector.standalone ? `${run.detector.kind}:${run.detector.id}` : run.detector.kind
    byKind.set(group, [...(byKind.get(group) ?? []), run])
  }
  return [...byKind.values()]
}

/**
 * Combines detectors into one suspicion per record: detectors of the same finding kind measure the same thing,
 * so the two strongest of them are averaged (independent evidence sharpens the estimate), unless one of them is
 * calibrated against the data's own noise and so ranks the kind alone; findings that are evidence of another kind
 * (copies with conflicting labels) are weighed with that kind; different kinds are
 * different threats, so the strongest one decides (one strong signal is enough, weak ones cannot drown it).
 * Scores are first scaled by each detector's declared `certainty`; a `standalone` detector, whose scores are
 * already backed by a dataset-level test, counts as a kind of its own. A detector whose dataset-level test finds
 * nothing at `fdr` keeps only part of its suspicion and flags nothing: with no attack in evidence, it cannot drown
 * label detectors that agree. An attack detector without such a test behind it ranks only the records it flags
 * itself; the rest are ordered by the other kinds (the label evidence), while its scores still count towards the
 * chances of a false alarm, so which records are flagged does not depend on this. The carriers of an attack a
 * standalone detector found at `fdr` (a mined trigger) rank above every other record's label doubt. Records are
 * flagged by false-discovery control: among the records a detector flags itself, the largest set whose mean chance
 * of being a false alarm stays within `fdr`.
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
  const labelDoubts = new Float32Array(rowCount)
  const carriers = new Uint8Array(rowCount)
  for (const run of runs) {
    if (!namesCarriers(run, options.fdr)) continue
    for (let row = 0; row < rowCount; row++) carriers[row] |= run.result.flagged[row]
  }
  for (const groupRunsOfKind of groupRuns(runs)) {
    const group = scoreGroup(rowCount, groupRunsOfKind, options.fdr)
    const groupChances = falseAlarmChances(groupRunsOfKind, group, options.fdr)
    const doubts = groupRunsOfKind[0].detector.kind === 'label_issue'
    for (let row = 0; row < rowCount; row++) {
      suspicion[row] = Math.max(suspicion[row], group.ranking[row])
      if (doubts) labelDoubts[row] = Math.max(labelDoubts[row], group.ranking[row])
      if (!group.voted[row] && !(groupChances[row] < eligibleBelow)) continue
      eligible[row] = 1
      chances[row] = Math.min(chances[row], groupChances[row])
    }
  }
  liftCarriers(suspicion, carriers, labelDoubts)
  const { selected: flagged, expectedFalseAlarms } = selectByLocalFdr(chances, eligible, options.fdr)
  const quiet = new Set(runs.filter((run) => isQuiet(run, options.fdr)).map((run) => run.detector.id))
  const severities: (Severity | null)[] = Array.from(flagged, (flag, row) =>
    flag ? severityOf(suspicion[row], options) : null,
  )
  const findings: Finding[][] = Array.from({ length: rowCount }, () => [])
  // Run by run over the rows, so each record's findings keep the order of the runs.
  for (const run of runs) {
    if (quiet.has(run.detector.id)) continue
    const flags = run.result.flagged
    for (let row = 0; row < rowCount; row++)
      if (flags[row]) findings[row].push(findingOf(run, row, describeLabel))
  }
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
