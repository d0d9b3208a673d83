import type { Classifier } from '../models/classifier.js'
import {
  type MemberExecutor,
  type PartitionEnsemble,
  predictEnsembleMembers,
  sequentialMemberExecutor,
} from './ensemble.js'

export interface EnsembleClassifierOptions {
  /** Makes an executor for large batches (e.g. worker threads), made on first use and closed on dispose. */
  parallel?: () => MemberExecutor & { close(): Promise<void> }
  /** Rows from which a batch goes to the parallel executor; default 1,000 (smaller ones cost more to ship). */
  parallelFromRows?: number
}

/**
 * An ensemble as a `Classifier` for the model checks: its "probabilities" are the members' vote shares, so the
 * largest (the first of equals) is the plurality vote with ties to the lower class — the prediction `certify`
 * certifies. It exposes no network: gradient methods fall back to their black-box forms.
 */
export function classifierFromEnsemble(
  ensemble: PartitionEnsemble,
  classNames: readonly string[],
  options: EnsembleClassifierOptions = {},
): Classifier {
  const { classCount, cols } = ensemble
  const memberCount = ensemble.members.length
  let parallel: (MemberExecutor & { close(): Promise<void> }) | undefined
  const executorFor = (rows: number): MemberExecutor => {
    if (!options.parallel || rows < (options.parallelFromRows ?? 1000)) return sequentialMemberExecutor
    parallel ??= options.parallel()
    return parallel
  }
  return {
    inputWidth: cols,
    classCount,
    classNames,
    predict: async (x) => {
      const predictions = await predictEnsembleMembers(ensemble, x, executorFor(x.rows))
      const data = new Float32Array(x.rows * classCount)
      for (const member of predictions)
        for (let row = 0; row < x.rows; row++) data[row * classCount + member[row]]++
      for (let i = 0; i < data.length; i++) data[i] /= memberCount
      return { data, rows: x.rows, cols: classCount }
    },
    dispose: async () => {
      await parallel?.close()
    },
  }
}
