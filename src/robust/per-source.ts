import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { benjaminiHochberg } from '../stats/multiple-testing.js'
import { binomialUpperTail } from '../stats/tails.js'
import { mixHash } from '../util/hashing.js'
import { pluralityWinner } from './certificate.js'
import { type MemberExecutor, type MemberTask, sequentialMemberExecutor } from './ensemble.js'
import type { LearnerId, LearnerOptions } from './learners.js'
import { hashRows } from './partition.js'

export interface PerSourceOptions {
  /** The source of every record; without them records are dealt to `subsets` random groups by content hash. */
  sources?: readonly string[]
  /** Groups when there are no sources; default 10. */
  subsets?: number
  /** Default 'logreg'. */
  learner?: LearnerId
  learnerOptions?: LearnerOptions
  classCount?: number
  /** Share of every source's records kept out of all training, by content hash, to compare the models on; default 0.2. */
  heldOutShare?: number
  /**
   * A record counts as contradicted when fewer than this share of the other sources' models predict its label;
   * default 0.1 (with ten sources: none of the other nine). So strong a contradiction is rare for a hard clean
   * record and near certain for a relabelled one.
   */
  contradictionShare?: number
  /** False-discovery rate at which a source is reported; default 0.05. */
  alpha?: number
  seed?: number
  signal?: AbortSignal
}

/** How far one source's data and model stand apart from the consensus of the other sources' models. */
export interface SourceDisagreement {
  readonly source: string
  readonly recordCount: number
  /** Its records whose label the other sources' models contradict (none of them saw those records). */
  readonly labelDisagreements: number
  /** The rate of such contradictions among the other sources' records, the chance level. */
  readonly expectedLabelRate: number
  /** Held-out records (of other sources) where its model and the others' consensus differ. */
  readonly modelDisagreements: number
  readonly heldOutCount: number
  readonly expectedModelRate: number
  /** Both one-sided binomial tests against chance, Bonferroni-combined; small = disagrees beyond chance. */
  readonly pValue: number
  /** Benjamini–Hochberg adjusted over the sources. */
  readonly qValue: number
  readonly flagged: boolean
  /** Its records whose label the consensus contradicts: the records behind the disagreement. */
  readonly records: Int32Array
}

export interface PerSourceReport {
  /** Most suspicious first. */
  readonly sources: SourceDisagreement[]
  /** Whether the groups are the records' sources or random subsets. */
  readonly grouping: 'source' | 'random-subset'
}

/** A group per record and the group names. */
function groupRecords(x: FeatureMatrix, hashes: Uint32Array, options: PerSourceOptions) {
  if (options.sources) {
    const names = [...new Set(options.sources)].sort()
    const index = new Map(names.map((name, position) => [name, position]))
    return { names, groups: Int32Array.from(options.sources, (source) => index.get(source)!) }
  }
  const subsets = options.subsets ?? 10
  const names = Array.from({ length: subsets }, (_, subset) => `subset-${subset + 1}`)
  return { names, groups: Int32Array.from({ length: x.rows }, (_, row) => hashes[row] % subsets) }
}

function validate(x: FeatureMatrix, labels: Int32Array, options: PerSourceOptions) {
  const issues: string[] = []
  if (labels.length !== x.rows) issues.push(`${labels.length} labels for ${x.rows} rows`)
  if (options.sources && options.sources.length !== x.rows)
    issues.push(`${options.sources.length} sources for ${x.rows} rows`)
  const share = options.heldOutShare ?? 0.2
  if (!(share > 0 && share < 1)) issues.push(`heldOutShare ${share} (expected between 0 and 1)`)
  if (issues.length > 0) {
    throw new PoisonguardError('INVALID_ARGUMENT', `cannot compare per-source models: ${issues.join('; ')}`, {
      issues: issues.map((message) => ({ message })),
    })
  }
}

/** Votes of every model but `left`, per row (`rows × classCount`). */
function votesWithout(predictions: readonly Int32Array[], left: number, classCount: number): Int32Array {
  const rowCount = predictions[0].length
  const votes = new Int32Array(rowCount * classCount)
  for (let model = 0; model < predictions.length; model++) {
    if (model === left) continue
    for (let row = 0; row < rowCount; row++) votes[row * classCount + predictions[model][row]]++
  }
  return votes
}

type DisagreementCount = ReturnType<typeof countDisagreements>

/**
 * One group's counts: its records that the other groups' models contradict, and the held-out records of other
 * groups on which its model and their plurality differ.
 */
function countDisagreements(input: {
  predictions: readonly Int32Array[]
  group: number
  groups: Int32Array
  heldOut: Uint8Array
  labels: Int32Array
  classCount: number
  contradictionShare: number
}) {
  const { predictions, group, groups, heldOut, labels, classCount } = input
  const votes = votesWithout(predictions, group, classCount)
  const fewestVotes = input.contradictionShare * (predictions.length - 1)
  const contradicted: number[] = []
  let recordCount = 0
  let modelDisagreements = 0
  let heldOutCount = 0
  for (let row = 0; row < groups.length; row++) {
    if (groups[row] === group) {
      recordCount++
      if (votes[row * classCount + labels[row]] < fewestVotes) contradicted.push(row)
    } else if (heldOut[row]) {
      heldOutCount++
      if (predictions[group][row] !== pluralityWinner(votes, row * classCount, classCount))
        modelDisagreements++
    }
  }
  return { recordCount, records: Int32Array.from(contradicted), modelDisagreements, heldOutCount }
}

/** Tests each group's counts against the rates of all the other groups together (one-sided binomial tests). */
function testAgainstOthers(counts: readonly DisagreementCount[]) {
  const total = (pick: (count: DisagreementCount) => number) => counts.reduce((sum, c) => sum + pick(c), 0)
  const labelTotal = total((c) => c.records.length)
  const recordTotal = total((c) => c.recordCount)
  const modelTotal = total((c) => c.modelDisagreements)
  const heldOutTotal = total((c) => c.heldOutCount)
  const othersRate = (all: number, own: number, allTrials: number, ownTrials: number) =>
    Math.max(all - own, 0) / Math.max(allTrials - ownTrials, 1)
  return counts.map((count) => {
    const expectedLabelRate = othersRate(labelTotal, count.records.length, recordTotal, count.recordCount)
    const expectedModelRate = othersRate(
      modelTotal,
      count.modelDisagreements,
      heldOutTotal,
      count.heldOutCount,
    )
    const labelP = binomialUpperTail(count.records.length, count.recordCount, expectedLabelRate)
    const modelP = binomialUpperTail(count.modelDisagreements, count.heldOutCount, expectedModelRate)
    return {
      recordCount: count.recordCount,
      labelDisagreements: count.records.length,
      expectedLabelRate,
      modelDisagreements: count.modelDisagreements,
      heldOutCount: count.heldOutCount,
      expectedModelRate,
      // Poison may show in one signal only (a backdoor leaves held-out predictions alone): Bonferroni's minimum
      // keeps a single strong signal that Fisher's sum would dilute.
      pValue: Math.min(1, 2 * Math.min(labelP, modelP)),
      records: count.records,
    }
  })
}

/**
 * Trains one model per source (or per random subset) and tests each source against the consensus of the other
 * sources' models: its records' labels (which those models never saw) and its model's predictions on records held
 * out from all training. A source contradicted beyond the rate seen among the other sources is reported, with the
 * records behind it.
 */
export async function compareSourceModels(
  x: FeatureMatrix,
  labels: Int32Array,
  options: PerSourceOptions = {},
  executor: MemberExecutor = sequentialMemberExecutor,
): Promise<PerSourceReport> {
  validate(x, labels, options)
  const hashes = hashRows(x)
  const { names, groups } = groupRecords(x, hashes, options)
  if (names.length < 3) {
    throw new PoisonguardError(
      'NOT_ENOUGH_DATA',
      `per-source models need at least 3 sources, found ${names.length}`,
      {
        hint: 'pass records from more sources, or leave sources out to compare random subsets',
      },
    )
  }
  let classCount = options.classCount ?? 0
  for (const label of labels) classCount = Math.max(classCount, label + 1)
  // A second hash of the content (not the partition one) picks the held-out records, so it is not tied to groups.
  const threshold = (options.heldOutShare ?? 0.2) * 2 ** 32
  const heldOut = Uint8Array.from(hashes, (hash) => (mixHash(hash ^ 0x5bd1e995) < threshold ? 1 : 0))
  const tasks: MemberTask[] = names.map((_, group) => ({
    x,
    labels,
    rows: Int32Array.from(groups.keys()).filter((row) => groups[row] === group && !heldOut[row]),
    classCount,
    learner: options.learner ?? 'logreg',
    learnerOptions: options.learnerOptions ?? {},
    seed: (options.seed ?? 1) + group,
  }))
  const contradictionShare = options.contradictionShare ?? 0.1
  const models = await executor.fitMembers(tasks, { signal: options.signal })
  const predictions = await executor.predictMembers(
    models.map((model) => ({ model, x })),
    { signal: options.signal },
  )
  const counts = names.map((_, group) =>
    countDisagreements({ predictions, group, groups, heldOut, labels, classCount, contradictionShare }),
  )
  const tested = testAgainstOthers(counts).map((test, group) => ({ source: names[group], ...test }))
  const qValues = benjaminiHochberg(tested.map((source) => source.pValue))
  const alpha = options.alpha ?? 0.05
  const sources = tested
    .map((source, group) => ({ ...source, qValue: qValues[group], flagged: qValues[group] <= alpha }))
    .sort(
      (a, b) =>
        a.pValue - b.pValue || b.labelDisagreements / b.recordCount - a.labelDisagreements / a.recordCount,
    )
  return { sources, grouping: options.sources ? 'source' : 'random-subset' }
}
