import type { AttackRun } from '../attacks/registry.js'
import type { Dataset } from '../data/dataset.js'
import { subsetDataset } from '../data/dataset.js'
import { createRng } from '../util/rng.js'
import type { TrainedModel } from './downstream-model.js'

/**
 * How an attack's success is measured: `backdoor` on triggered test inputs of other classes, `targeted` on the
 * records the attack meant to get misclassified, `none` when the attack only degrades accuracy.
 */
export type SuccessMeasure = 'backdoor' | 'targeted' | 'none'

/** The inputs an attacker wants classified a certain way, and the share of them a model gets that way. */
export interface SuccessProbe {
  readonly measure: SuccessMeasure
  /** Inputs the probe checks. */
  readonly inputCount: number
  /** Share of the inputs the model classifies as the attacker wants, in [0,1]; undefined for `none`. */
  attackSuccess(model: TrainedModel): number | undefined
}

function probeOf(measure: SuccessMeasure, inputs: Dataset, wanted: readonly string[]): SuccessProbe {
  return {
    measure,
    inputCount: inputs.rowCount,
    attackSuccess(model) {
      if (inputs.rowCount === 0) return 0
      const predicted = model.predict(inputs)
      return predicted.filter((label, row) => label === wanted[row]).length / inputs.rowCount
    },
  }
}

/** Target records of a targeted attack, each wanted as the label of its poisons (`count` consecutive rows each). */
function targetedInputs(run: AttackRun, targetIds: readonly string[], count: number) {
  const labels = run.dataset.labels!
  const rowOf = new Map(run.dataset.ids.map((id, row) => [id, row]))
  const rows = targetIds.map((id) => rowOf.get(id) ?? -1)
  const wanted = targetIds.map((_, index) => {
    const poison = run.poisonedRows[index * count]
    return labels.classes[labels.codes[poison]]
  })
  const known = rows.flatMap((row, index) => (row >= 0 ? [index] : []))
  return {
    inputs: subsetDataset(
      run.dataset,
      known.map((index) => rows[index]),
    ),
    wanted: known.map((index) => wanted[index]),
  }
}

/**
 * Reads from an attack's result how to measure its success: a backdoor's triggered copy of the test set, the
 * target records and wrong labels a targeted or clean-label attack reports in its info, or nothing.
 */
export function createSuccessProbe(run: AttackRun, test: Dataset, seed: number): SuccessProbe {
  const info = run.info
  if (run.triggerTestSet && typeof info.target === 'string') {
    // A seed of its own, as `attack --triggered-test` uses, keeps trigger positions independent of training.
    const triggered = run.triggerTestSet(test, createRng(seed + 1))
    const inputs = subsetDataset(triggered.dataset, triggered.poisonedRows)
    return probeOf('backdoor', inputs, new Array(inputs.rowCount).fill(info.target))
  }
  if (Array.isArray(info.targetIds) && typeof info.poisonsPerTarget === 'number') {
    const { inputs, wanted } = targetedInputs(run, info.targetIds as string[], info.poisonsPerTarget)
    return probeOf('targeted', inputs, wanted)
  }
  if (typeof info.targetId === 'string' && typeof info.base === 'string') {
    const row = run.dataset.ids.indexOf(info.targetId)
    return probeOf('targeted', subsetDataset(run.dataset, row < 0 ? [] : [row]), [info.base])
  }
  return { measure: 'none', inputCount: 0, attackSuccess: () => undefined }
}
