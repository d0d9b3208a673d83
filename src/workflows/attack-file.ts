import { type AttackRun, applyAttack } from '../attacks/registry.js'
import type { AttackResult } from '../attacks/types.js'
import type { Dataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { checkFormat, type DatasetFormat, formatOfExtension } from '../io/formats/index.js'
import type { CellWriteOptions } from '../io/formats/types.js'
import { type LoadOptions, loadDataset } from '../io/index.js'
import { checkOutputs } from '../io/output-safety.js'
import { type OutputFile, writeOutputsAtomically } from '../io/transaction.js'
import { writeDataset, writtenRecordIds } from '../io/write-dataset.js'
import { throwIfAborted } from '../util/abort.js'
import { type ProgressOptions, progressReporter, stepDetail } from '../util/progress.js'
import { createRng } from '../util/rng.js'
import { version } from '../version.js'

/** A test set to stamp a backdoor's trigger on, and where its triggered copy goes. */
export interface TriggeredTestPaths {
  input: string
  output: string
}

export interface AttackFileOptions extends ProgressOptions<[step: string, fractionDone: number]> {
  /** The attack's id, e.g. `label-flip`. */
  attack: string
  /** The dataset to poison: a file or an image folder; never modified. */
  input: string
  /** How to read the input (and the triggered test set): format and column roles, as for `loadDataset`. */
  load?: LoadOptions
  /** The attack's parameters; absent ones take their defaults. */
  params?: Record<string, unknown>
  /** Seed of every random choice; default 0. */
  seed?: number
  /** Where the poisoned dataset goes; a known extension picks the format, else the input's is kept. */
  out: string
  /** Where the ground truth goes: a JSON array of the ids of poisoned or added records. */
  truth: string
  /** Backdoors only: also write a copy of a test set carrying the trigger, with its own truth file. */
  triggeredTest?: TriggeredTestPaths
  /** CSV outputs: prefix every cell a spreadsheet would run as a formula with `'` (ids in the truth files too). */
  excelSafe?: boolean
  /** Checked between loading, poisoning and writing; an aborted signal fails with the typed `ABORTED` error. */
  signal?: AbortSignal
  /** Called as the attack moves on: `step` is 'loading', 'poisoning' or 'writing', each reporting 0 first and 1 last. */
  onProgress?: (step: string, fractionDone: number) => void
}

/** What `<out>.meta.json` records: the attack, its parameters and seed, both datasets and what was done. */
export interface AttackMeta {
  tool: { name: 'poisonguard'; version: string }
  attack: string
  params: Record<string, unknown>
  seed: number
  input: { path: string; format: DatasetFormat; rows: number; sha256: string }
  output: { path: string; format: DatasetFormat; rows: number; truth: string; poisoned: number }
  info: Record<string, unknown>
  triggeredTest?: {
    input: string
    output: string
    truth: string
    rows: number
    triggered: number
    info: Record<string, unknown>
  }
}

/** A written attack: the run itself, its metadata (also written to `metaPath`) and new warnings. */
export interface AttackBundle {
  readonly run: AttackRun
  readonly meta: AttackMeta
  readonly metaPath: string
  /** Warnings the attack added to those of the input dataset. */
  readonly warnings: readonly string[]
}

/** The output format: from a known extension of the output path, else the input's own format. */
function outputFormat(path: string, input: Dataset): DatasetFormat {
  return formatOfExtension(path) ?? checkFormat(input.origin.format)
}

function sidecarPath(path: string, suffix: string): string {
  return `${path.replace(/[/\\]+$/, '')}${suffix}`
}

/** The files an attack reads: no output may replace one of them or land inside one (an image folder). */
function inputsOf(options: AttackFileOptions): (string | undefined)[] {
  return [options.input, options.triggeredTest?.input, options.load?.embeddings, options.load?.queries]
}

/** Refuses clashing outputs before anything is read, so a clash fails at once instead of after the work. */
async function checkPaths(options: AttackFileOptions, metaPath: string): Promise<void> {
  const test = options.triggeredTest
  const outputs = [
    { path: options.out, flag: '--out' },
    { path: options.truth, flag: '--truth' },
    { path: metaPath },
    ...(test ? [{ path: test.output, flag: '--triggered-test' }] : []),
    ...(test ? [{ path: sidecarPath(test.output, '.truth.json') }] : []),
  ]
  await checkOutputs(outputs, inputsOf(options))
}

interface TriggeredTest {
  paths: TriggeredTestPaths
  format: DatasetFormat
  result: AttackResult
}

async function triggerTest(
  run: AttackRun,
  train: Dataset,
  options: AttackFileOptions,
): Promise<TriggeredTest | undefined> {
  if (!options.triggeredTest) return undefined
  if (!run.triggerTestSet) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `attack ${run.attack} plants no trigger, so a triggered test set does not apply`,
      { hint: 'use it with a backdoor attack: backdoor-patch, backdoor-token or backdoor-feature' },
    )
  }
  // Images must come out the size the trigger was made for.
  const side = train.origin.format === 'images' ? train.imageShape?.width : undefined
  const load = { ...options.load, imageSize: options.load?.imageSize ?? side }
  const testSet = await loadDataset(options.triggeredTest.input, load)
  // A seed of its own keeps random trigger positions on the test set independent of the training draws.
  const result = run.triggerTestSet(testSet, createRng(run.seed + 1))
  const format = outputFormat(options.triggeredTest.output, testSet)
  return { paths: options.triggeredTest, format, result }
}

/** The ids a reader of each written dataset will see for the poisoned (or triggered) records. */
function groundTruth(result: AttackResult, format: DatasetFormat, cells: CellWriteOptions): string[] {
  const ids = writtenRecordIds(result.dataset, format, cells)
  return Array.from(result.poisonedRows, (row) => ids[row])
}

function writeTo(
  dataset: Dataset,
  format: DatasetFormat,
  cells: CellWriteOptions,
): (path: string) => Promise<void> {
  return async (path) => void (await writeDataset(dataset, path, { format, ...cells }))
}

/** Every file of the bundle; folders (image output) go last, so a failure after them leaves no staged folder. */
function bundleOutputs(
  run: AttackRun,
  meta: AttackMeta,
  metaPath: string,
  cells: CellWriteOptions,
  test?: TriggeredTest,
): OutputFile[] {
  const truth = groundTruth(run, meta.output.format, cells)
  const outputs: OutputFile[] = [
    { path: meta.output.truth, flag: '--truth', contents: `${JSON.stringify(truth)}\n` },
    { path: metaPath, contents: `${JSON.stringify(meta, null, 2)}\n` },
  ]
  if (test && meta.triggeredTest) {
    const testTruth = groundTruth(test.result, test.format, cells)
    outputs.push({ path: meta.triggeredTest.truth, contents: `${JSON.stringify(testTruth)}\n` })
    outputs.push({
      path: test.paths.output,
      flag: '--triggered-test',
      write: writeTo(test.result.dataset, test.format, cells),
    })
  }
  outputs.push({
    path: meta.output.path,
    flag: '--out',
    write: writeTo(run.dataset, meta.output.format, cells),
  })
  return outputs
}

function describeRun(input: Dataset, run: AttackRun, options: AttackFileOptions, test?: TriggeredTest) {
  const format = outputFormat(options.out, input)
  const { path, sha256 } = input.origin
  const meta: AttackMeta = {
    tool: { name: 'poisonguard', version },
    attack: run.attack,
    params: run.params,
    seed: run.seed,
    input: { path, format: checkFormat(input.origin.format), rows: input.rowCount, sha256 },
    output: {
      path: options.out,
      format,
      rows: run.dataset.rowCount,
      truth: options.truth,
      poisoned: run.poisonedRows.length,
    },
    info: run.info,
  }
  if (test) {
    meta.triggeredTest = {
      ...test.paths,
      truth: sidecarPath(test.paths.output, '.truth.json'),
      rows: test.result.dataset.rowCount,
      triggered: test.result.poisonedRows.length,
      info: test.result.info,
    }
  }
  return meta
}

/**
 * Poisons a copy of a dataset file on purpose and writes the bundle that measures a defense: the poisoned data,
 * the ground truth of what was poisoned, `<out>.meta.json` with parameters and seed, and, for backdoors, a
 * triggered copy of a test set. All files are written or none.
 */
export async function attackFile(options: AttackFileOptions): Promise<AttackBundle> {
  const metaPath = sidecarPath(options.out, '.meta.json')
  const checkAborted = () => throwIfAborted(options.signal, `attack ${options.attack}`)
  const onProgress = progressReporter(options, stepDetail)
  await checkPaths(options, metaPath)
  checkAborted()
  onProgress?.('loading', 0)
  const load = options.load ?? {}
  const loading = (fraction: number) => {
    load.onProgress?.(fraction)
    onProgress?.('loading', fraction)
  }
  const input = await loadDataset(options.input, {
    ...load,
    onProgress: onProgress ? loading : load.onProgress,
  })
  checkAborted()
  onProgress?.('poisoning', 0)
  const run = applyAttack(options.attack, input, options.params ?? {}, options.seed ?? 0)
  const test = await triggerTest(run, input, options)
  const meta = describeRun(input, run, options, test)
  onProgress?.('poisoning', 1)
  checkAborted()
  onProgress?.('writing', 0)
  const cells = { excelSafe: options.excelSafe }
  await writeOutputsAtomically(bundleOutputs(run, meta, metaPath, cells, test), { inputs: inputsOf(options) })
  onProgress?.('writing', 1)
  return { run, meta, metaPath, warnings: run.dataset.warnings.slice(input.warnings.length) }
}
