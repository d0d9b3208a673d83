import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { throwIfAborted } from '../util/abort.js'
import { fractionDetail, type ProgressOptions, progressReporter } from '../util/progress.js'
import { type CertifiedPrediction, certifyFiniteAggregation, certifyPartitionVotes } from './certificate.js'
import {
  type LearnerId,
  type LearnerOptions,
  type MemberModel,
  predictMember,
  resolveLearner,
} from './learners.js'
import { assignBuckets, hashRows, memberRows } from './partition.js'

/** 'dpa': one member per disjoint partition; 'finite': Finite Aggregation, each bucket feeding `spread` members. */
export type AggregationScheme = 'dpa' | 'finite'

/** An ensemble of models trained on content-hashed partitions of the training set. */
export interface PartitionEnsemble {
  readonly scheme: AggregationScheme
  /** Partitions `k`; the ensemble has `k · spread` members and buckets. */
  readonly partitionCount: number
  /** Buckets per member (1 for Deep Partition Aggregation). */
  readonly spread: number
  readonly learner: LearnerId
  readonly learnerOptions: LearnerOptions
  readonly classCount: number
  readonly cols: number
  readonly members: readonly MemberModel[]
}

export interface PartitionEnsembleOptions extends ProgressOptions {
  /** Partitions `k`, the number of votes; each holds about 1/k of the training set. */
  partitions: number
  /** Default 'dpa'. */
  scheme?: AggregationScheme
  /** Buckets per member under 'finite'; default 4. */
  spread?: number
  /** Default 'knn'. */
  learner?: LearnerId
  learnerOptions?: LearnerOptions
  classCount?: number
  /** Texts of the records, hashed with their features. */
  texts?: readonly string[]
  /** Seed of each member's solver: `seed + member`. */
  seed?: number
  /** Called with the fraction of members done, in [0,1]. */
  onProgress?: (fractionDone: number) => void
  signal?: AbortSignal
}

/** One member to train: plain data, so another thread can train it and return the same model. */
export interface MemberTask {
  readonly x: FeatureMatrix
  readonly labels: Int32Array
  readonly rows: Int32Array
  readonly classCount: number
  readonly learner: LearnerId
  readonly learnerOptions: LearnerOptions
  readonly seed: number
}

/** Members to predict with, on one matrix. */
export interface PredictionTask {
  readonly model: MemberModel
  readonly x: FeatureMatrix
}

/** Trains and runs ensemble members; the portable one runs them in turn, a Node one on worker threads. */
export interface MemberExecutor {
  fitMembers(
    tasks: readonly MemberTask[],
    options?: { onTaskDone?: () => void; signal?: AbortSignal },
  ): Promise<MemberModel[]>
  predictMembers(
    tasks: readonly PredictionTask[],
    options?: { onTaskDone?: () => void; signal?: AbortSignal },
  ): Promise<Int32Array[]>
}

/** Trains one member. */
export function fitMember(task: MemberTask): MemberModel {
  return resolveLearner(task.learner).fit(
    task.x,
    task.labels,
    task.rows,
    task.classCount,
    task.seed,
    task.learnerOptions,
  )
}

/** One member's prediction of every row. */
export function runPrediction(task: PredictionTask): Int32Array {
  return predictMember(task.model, task.x)
}

function inTurn<Task, Result>(run: (task: Task) => Result, what: string) {
  return async (
    tasks: readonly Task[],
    options: { onTaskDone?: () => void; signal?: AbortSignal } = {},
  ): Promise<Result[]> =>
    tasks.map((task) => {
      throwIfAborted(options.signal, what)
      const result = run(task)
      options.onTaskDone?.()
      return result
    })
}

/** Trains and predicts with one member after another on the calling thread. */
export const sequentialMemberExecutor: MemberExecutor = {
  fitMembers: inTurn(fitMember, 'ensemble training'),
  predictMembers: inTurn(runPrediction, 'ensemble prediction'),
}

function validateEnsembleOptions(x: FeatureMatrix, labels: Int32Array, options: PartitionEnsembleOptions) {
  const issues: string[] = []
  const { partitions } = options
  if (!Number.isInteger(partitions) || partitions < 1)
    issues.push(`partitions ${partitions} (expected a whole number ≥ 1)`)
  const spread = options.scheme === 'finite' ? (options.spread ?? 4) : 1
  if (!Number.isInteger(spread) || spread < 1) issues.push(`spread ${spread} (expected a whole number ≥ 1)`)
  if (labels.length !== x.rows) issues.push(`${labels.length} labels for ${x.rows} rows`)
  if (labels.some((label) => label < 0)) issues.push('unlabelled rows (label code −1)')
  if (x.rows < partitions) issues.push(`${x.rows} training rows for ${partitions} partitions`)
  if (issues.length > 0) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `cannot train a partition ensemble: ${issues.join('; ')}`,
      {
        issues: issues.map((message) => ({ message })),
        hint: 'drop unlabelled rows and use fewer partitions than training records (each needs several)',
      },
    )
  }
  resolveLearner(options.learner ?? 'knn')
  return spread
}

/**
 * Trains a Deep Partition Aggregation (or Finite Aggregation) ensemble: every record goes to the bucket its
 * content hash picks, each member trains on its buckets alone.
 */
export async function trainPartitionEnsemble(
  x: FeatureMatrix,
  labels: Int32Array,
  options: PartitionEnsembleOptions,
  executor: MemberExecutor = sequentialMemberExecutor,
): Promise<PartitionEnsemble> {
  const spread = validateEnsembleOptions(x, labels, options)
  let classCount = options.classCount ?? 0
  for (const label of labels) classCount = Math.max(classCount, label + 1)
  const memberCount = options.partitions * spread
  const hashes = hashRows(x, options.texts)
  const buckets = assignBuckets(hashes, memberCount)
  const learner = options.learner ?? 'knn'
  const learnerOptions = options.learnerOptions ?? {}
  const seed = options.seed ?? 1
  const tasks = memberRows(buckets, hashes, spread, memberCount).map((rows, member) => ({
    x,
    labels,
    rows,
    classCount,
    learner,
    learnerOptions,
    seed: seed + member,
  }))
  const onProgress = progressReporter(options, fractionDetail)
  let done = 0
  const members = await executor.fitMembers(tasks, {
    signal: options.signal,
    onTaskDone: () => onProgress?.(++done / tasks.length),
  })
  return {
    scheme: options.scheme ?? 'dpa',
    partitionCount: options.partitions,
    spread,
    learner,
    learnerOptions,
    classCount,
    cols: x.cols,
    members,
  }
}

/** Every member's prediction of every row, member-major (`members × rows`). */
export async function predictEnsembleMembers(
  ensemble: PartitionEnsemble,
  x: FeatureMatrix,
  executor: MemberExecutor = sequentialMemberExecutor,
  options: ProgressOptions & { signal?: AbortSignal } = {},
): Promise<Int32Array[]> {
  if (x.cols !== ensemble.cols) {
    throw new PoisonguardError(
      'SHAPE_MISMATCH',
      `the ensemble expects ${ensemble.cols} feature columns, received ${x.cols}`,
      { hint: 'pass data with the feature columns the ensemble was trained on' },
    )
  }
  const onProgress = progressReporter(options, fractionDetail)
  let done = 0
  return executor.predictMembers(
    ensemble.members.map((model) => ({ model, x })),
    { signal: options.signal, onTaskDone: () => onProgress?.(++done / ensemble.members.length) },
  )
}

/** The certified prediction of every row from the members' predictions (`predictEnsembleMembers`). */
export function certifyPredictions(
  ensemble: Pick<PartitionEnsemble, 'scheme' | 'spread' | 'classCount'>,
  memberPredictions: readonly Int32Array[],
): CertifiedPrediction[] {
  const rowCount = memberPredictions[0]?.length ?? 0
  const { classCount } = ensemble
  if (ensemble.scheme === 'dpa') {
    const votes = new Int32Array(rowCount * classCount)
    for (const predictions of memberPredictions)
      for (let row = 0; row < rowCount; row++) votes[row * classCount + predictions[row]]++
    return certifyPartitionVotes(votes, classCount)
  }
  const perRow = new Int32Array(memberPredictions.length)
  return Array.from({ length: rowCount }, (_, row) => {
    for (let member = 0; member < perRow.length; member++) perRow[member] = memberPredictions[member][row]
    return certifyFiniteAggregation(perRow, classCount, ensemble.spread)
  })
}

/** Predicts and certifies every row of `x`. */
export async function certifyEnsemble(
  ensemble: PartitionEnsemble,
  x: FeatureMatrix,
  executor?: MemberExecutor,
  options?: ProgressOptions & { signal?: AbortSignal },
): Promise<CertifiedPrediction[]> {
  return certifyPredictions(ensemble, await predictEnsembleMembers(ensemble, x, executor, options))
}
