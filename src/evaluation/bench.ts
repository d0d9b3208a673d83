import { type AttackRun, applyAttack } from '../attacks/registry.js'
import { listDetectors } from '../detectors/registry.js'
import type { OperatingPoint } from '../domain/index.js'
import { isPoisonguardError, PoisonguardError } from '../errors.js'
import type { LinalgBackend } from '../linalg/backend.js'
import { createDefaultBackend } from '../linalg/default-backend.js'
import { defaultFusionOptions } from '../scan/fusion.js'
import { throwIfAborted } from '../util/abort.js'
import { progressReporter } from '../util/progress.js'
import { version } from '../version.js'
import { createSuccessProbe } from './attack-success.js'
import { type BenchSplit, parseBuiltinNames, splitBuiltin, splitUserDataset } from './bench-data.js'
import { type BenchCellPlan, checkPlanOptions, planBenchmark } from './bench-plan.js'
import type {
  BenchCell,
  BenchDatasetSummary,
  BenchOptions,
  BenchProgress,
  BenchResult,
  DownstreamBench,
  ModelEffect,
} from './bench-types.js'
import { benchDetection } from './detection.js'
import { rowMask } from './detection-score.js'
import { accuracyOn, trainBuiltinModel } from './downstream-model.js'

export type * from './bench-types.js'

const defaultSeed = 1

interface Context {
  backend: LinalgBackend
  seed: number
  now: () => number
  operatingPoint: OperatingPoint
  signal?: AbortSignal
}

function describeRate(rate: number | null): string {
  return rate === null ? '' : ` ${rate}`
}

function summariseSplit(split: BenchSplit, seed: number): BenchDatasetSummary {
  const model = trainBuiltinModel(split.train, seed)
  return {
    name: split.name,
    source: split.train.origin.path,
    trainRows: split.train.rowCount,
    testRows: split.test.rowCount,
    classes: split.train.labels?.classes.length ?? 0,
    cleanAccuracy: accuracyOn(split.test, model.predict(split.test)),
  }
}

/** Trains on the poisoned set, the scan's cleaned set and the oracle-cleaned set; measures each on the test set. */
function measureDownstream(
  run: AttackRun,
  split: BenchSplit,
  fusedFlagged: Uint8Array,
  poisoned: Uint8Array,
  seed: number,
): DownstreamBench {
  const probe = createSuccessProbe(run, split.test, seed)
  const effect = (keep: Uint8Array): ModelEffect => {
    const trainRows = keep.reduce((sum, kept) => sum + kept, 0)
    if (trainRows === 0) return { trainRows, accuracy: null, attackSuccess: null }
    const model = trainBuiltinModel(run.dataset, seed, keep)
    return {
      trainRows,
      accuracy: accuracyOn(split.test, model.predict(split.test)),
      attackSuccess: probe.attackSuccess(model) ?? null,
    }
  }
  const rowCount = run.dataset.rowCount
  return {
    measure: probe.measure,
    successInputs: probe.inputCount,
    poisoned: effect(new Uint8Array(rowCount).fill(1)),
    cleaned: effect(fusedFlagged.map((flag) => 1 - flag)),
    oracle: effect(poisoned.map((flag) => 1 - flag)),
  }
}

function attackCell(plan: BenchCellPlan): { run?: AttackRun; reason?: string } {
  const params = plan.rate === null ? {} : { rate: plan.rate }
  try {
    return { run: applyAttack(plan.attack, plan.split.train, params, plan.seed) }
  } catch (error) {
    // The attack cannot run on this data (too few eligible records, no content): a result, not a crash.
    if (isPoisonguardError(error)) return { reason: error.message }
    throw error
  }
}

async function runCell(
  plan: BenchCellPlan,
  context: Context,
  onProgress: (step: string, fraction: number) => void,
): Promise<BenchCell> {
  const base = { dataset: plan.split.name, attack: plan.attack, rate: plan.rate, seed: plan.seed }
  const { run, reason } = attackCell(plan)
  if (!run) return { ...base, status: 'skipped', reason }
  const poisoned = rowMask(run.dataset.rowCount, run.poisonedRows)
  const detection = await benchDetection(run.dataset, poisoned, {
    backend: context.backend,
    seed: context.seed,
    now: context.now,
    operatingPoint: context.operatingPoint,
    signal: context.signal,
    onProgress: (step, fraction) => onProgress(step, 0.9 * fraction),
  })
  onProgress('downstream model', 0.9)
  return {
    ...base,
    status: 'ok',
    params: run.params,
    rows: run.dataset.rowCount,
    poisoned: run.poisonedRows.length,
    attackInfo: run.info,
    featuresMs: detection.featuresMs,
    detectors: detection.detectors,
    fused: detection.fused,
    downstream: measureDownstream(run, plan.split, detection.fusedFlagged, poisoned, context.seed),
  }
}

function buildSplits(options: BenchOptions, seed: number): BenchSplit[] {
  const quick = options.quick ?? false
  const builtin = parseBuiltinNames(options.builtin ?? (quick ? ['mnist'] : ['mnist', 'spam']))
  const splits = [
    ...builtin.map((name) => splitBuiltin(name, quick)),
    ...(options.datasets ?? []).map(({ name, dataset }) => splitUserDataset(name, dataset, seed, quick)),
  ]
  if (splits.length === 0) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      'nothing to bench: no built-in dataset and no dataset given',
      {
        hint: 'drop --builtin none, or add --dataset <file>',
      },
    )
  }
  return splits
}

/**
 * Runs the benchmark matrix: each attack at each rate on each dataset, every registered detector alone and the
 * fused scan scored against the ground truth, and the built-in model's clean accuracy and attack success when
 * trained on the poisoned, scan-cleaned and oracle-cleaned training sets. Deterministic for a seed (timings aside).
 */
export async function runBenchmark(options: BenchOptions = {}): Promise<BenchResult> {
  const seed = options.seed ?? defaultSeed
  const now = options.now ?? (() => performance.now())
  const started = now()
  const onProgress = progressReporter(options, (progress: BenchProgress) => progress)
  checkPlanOptions(options)
  const splits = buildSplits(options, seed)
  const plan = planBenchmark(splits, { ...options, quick: options.quick ?? false, seed })
  const backend = options.backend ?? (await createDefaultBackend())
  const context: Context = {
    backend,
    seed,
    now,
    operatingPoint: defaultFusionOptions,
    signal: options.signal,
  }
  try {
    const datasets = splits.map((split) => summariseSplit(split, seed))
    const cells: BenchCell[] = []
    for (const [index, cellPlan] of plan.cells.entries()) {
      throwIfAborted(options.signal, 'the benchmark')
      const label = `${cellPlan.split.name} ${cellPlan.attack}${describeRate(cellPlan.rate)}`
      const report = (step: string, fraction: number) =>
        onProgress?.({
          step: `${label}: ${step}`,
          fractionDone: (index + fraction) / plan.cells.length,
        })
      cells.push(await runCell(cellPlan, context, report))
      report('done', 1)
    }
    return {
      tool: { name: 'poisonguard', version },
      seed,
      quick: options.quick ?? false,
      operatingPoint: context.operatingPoint,
      detectors: listDetectors().map((detector) => detector.id),
      datasets,
      unsupported: plan.unsupported,
      cells,
      durationMs: now() - started,
    }
  } finally {
    if (!options.backend) await backend.dispose()
  }
}
