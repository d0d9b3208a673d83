import { extname } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import {
  type AttackRun,
  applyAttack,
  attackParamNames,
  attackRegistry,
  describeAttackParams,
  getAttack,
} from '../attacks/index.js'
import type { AttackResult } from '../attacks/types.js'
import type { Dataset, DatasetFormat } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { checkOutputs } from '../io/output-safety.js'
import { type OutputFile, writeOutputsAtomically } from '../io/transaction.js'
import { writeDataset, writtenRecordIds } from '../io/write-dataset.js'
import { createRng } from '../util/rng.js'
import { version } from '../version.js'
import { addDatasetOptions, type DatasetFlags, loadWithFlags } from './dataset-options.js'
import type { CliIo } from './io.js'
import { parseInteger } from './options.js'

interface AttackFlags extends DatasetFlags {
  out: string
  truth: string
  rate?: number
  target?: string
  from?: string
  to?: string
  param?: Record<string, unknown>
  seed: number
  triggeredTest?: string[]
}

/** The flags that are shorthands for attack parameters of the same name. */
const PARAM_FLAGS = ['rate', 'target', 'from', 'to'] as const

const EXTENSION_FORMATS: Record<string, DatasetFormat> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
}

const examples = `
Examples:
  $ poisonguard attack label-flip mnist.csv --out flipped.csv --truth flipped-ids.json --rate 0.1
  $ poisonguard attack label-flip mnist.csv --out flipped.csv --truth ids.json --from 7 --to 1 --rate 0.05
  $ poisonguard attack backdoor-patch mnist.csv --out patched.csv --truth ids.json --target 0 \\
      --param size=4 --param position=random --triggered-test mnist-test.csv mnist-test-triggered.csv
  $ poisonguard attack backdoor-token spam.jsonl --out spam-bd.jsonl --truth ids.json --target ham --param token=cf
  $ poisonguard attack availability data.csv --out flooded.csv --truth ids.json --param mode=flood --rate 0.05
  $ poisonguard attack targeted data.csv --out t.csv --truth ids.json --param targetId=4711 --param count=10

Writes the poisoned dataset (format from the --out extension, else the input's), the ground truth (a JSON array
of the poisoned or added record ids) and <out>.meta.json with the parameters and what the attack did.`

/** Collects repeated `--param name=value` flags; values are read as JSON when they parse, as text otherwise. */
function collectAttackParam(entry: string, collected: Record<string, unknown> = {}): Record<string, unknown> {
  const match = /^([A-Za-z][A-Za-z0-9_]*)=([\s\S]*)$/.exec(entry)
  if (!match) throw new InvalidArgumentError('expected name=value, e.g. size=4 or columns=["age","income"]')
  const [, name, raw] = match
  let value: unknown = raw
  try {
    value = JSON.parse(raw)
  } catch {
    // not JSON: keep the text as given
  }
  return { ...collected, [name]: value }
}

function parseRate(value: string): number {
  const parsed = Number(value)
  if (value.trim() === '' || !Number.isFinite(parsed))
    throw new InvalidArgumentError('expected a number, e.g. 0.1')
  return parsed
}

/** One help block per attack: its summary and every parameter with its default and meaning. */
function describeAttacks(): string {
  const lines = ['', 'Attacks and their parameters (--param name=value):']
  for (const attack of Object.values(attackRegistry)) {
    lines.push(`  ${attack.id.padEnd(17)} ${attack.summary}`)
    for (const { name, defaultValue, description } of describeAttackParams(attack)) {
      const shown = defaultValue === undefined ? name : `${name}=${defaultValue}`
      lines.push(`      ${shown.padEnd(22)} ${description}`)
    }
  }
  lines.push(
    '',
    "Units: noise, jitter and budgets count in the pixel range for images, else in each column's standard deviation.",
  )
  return lines.join('\n')
}

/** Merges the shorthand flags into the --param values; a flag the attack does not take is an error. */
function gatherParams(kind: string, flags: AttackFlags): Record<string, unknown> {
  const attack = getAttack(kind)
  const names = attackParamNames(attack)
  const params = { ...flags.param }
  for (const flag of PARAM_FLAGS) {
    const value = flags[flag]
    if (value === undefined) continue
    if (!names.includes(flag)) {
      throw new PoisonguardError('INVALID_ARGUMENT', `--${flag} does not apply to attack ${kind}`, {
        hint: `parameters of ${kind}: ${names.join(', ')}`,
      })
    }
    if (flag in params) {
      throw new PoisonguardError(
        'INVALID_ARGUMENT',
        `${flag} is given both as --${flag} and as --param ${flag}=…`,
      )
    }
    params[flag] = value
  }
  return params
}

/** The output format: from a known extension of the output path, else the input's own format. */
function outputFormat(path: string, input: Dataset): DatasetFormat {
  return EXTENSION_FORMATS[extname(path).toLowerCase()] ?? input.origin.format
}

function sidecarPath(path: string, suffix: string): string {
  return `${path.replace(/[/\\]+$/, '')}${suffix}`
}

/** The files attack reads: no output may replace one of them or land inside one (an image folder). */
function inputsOf(input: string, flags: AttackFlags): (string | undefined)[] {
  return [input, flags.triggeredTest?.[0], flags.embeddings]
}

/** Checks the paths before the attack runs, so a clash fails at once instead of after the work. */
async function checkPaths(input: string, flags: AttackFlags): Promise<void> {
  const triggered = flags.triggeredTest
  if (triggered && triggered.length !== 2) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `--triggered-test takes two paths, the test set and where to write its triggered copy; received ${triggered.length}`,
      { hint: 'e.g. --triggered-test test.csv test-triggered.csv' },
    )
  }
  const outputs = [
    { path: flags.out, flag: '--out' },
    { path: flags.truth, flag: '--truth' },
    { path: sidecarPath(flags.out, '.meta.json') },
    ...(triggered ? [{ path: triggered[1], flag: '--triggered-test' }] : []),
    ...(triggered ? [{ path: sidecarPath(triggered[1], '.truth.json') }] : []),
  ]
  await checkOutputs(outputs, inputsOf(input, flags))
}

interface TriggeredTest {
  input: string
  output: string
  format: DatasetFormat
  result: AttackResult
}

async function triggerTest(
  run: AttackRun,
  train: Dataset,
  flags: AttackFlags,
): Promise<TriggeredTest | undefined> {
  if (!flags.triggeredTest) return undefined
  const [input, output] = flags.triggeredTest
  if (!run.triggerTestSet) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `attack ${run.attack} plants no trigger, so --triggered-test does not apply`,
      {
        hint: 'use it with a backdoor attack: backdoor-patch, backdoor-token or backdoor-feature',
      },
    )
  }
  // Images must come out the size the trigger was made for.
  const side = train.origin.format === 'images' ? train.imageShape?.width : undefined
  const testSet = await loadWithFlags(input, flags, { imageSize: side })
  // A seed of its own keeps random trigger positions on the test set independent of the training draws.
  const result = run.triggerTestSet(testSet, createRng(run.seed + 1))
  return { input, output, format: outputFormat(output, testSet), result }
}

/** The ids a reader of each written dataset will see for the poisoned (or triggered) records. */
function groundTruth(result: AttackResult, format: DatasetFormat): string[] {
  const ids = writtenRecordIds(result.dataset, format)
  return Array.from(result.poisonedRows, (row) => ids[row])
}

function describeTest(test: TriggeredTest, truth: string[]) {
  const { input, output, result } = test
  const rows = result.dataset.rowCount
  return {
    input,
    output,
    truth: sidecarPath(output, '.truth.json'),
    rows,
    triggered: truth.length,
    info: result.info,
  }
}

function plannedOutputs(input: Dataset, run: AttackRun, flags: AttackFlags, test?: TriggeredTest) {
  const format = outputFormat(flags.out, input)
  const truth = groundTruth(run, format)
  const testTruth = test ? groundTruth(test.result, test.format) : []
  const testMeta = test ? describeTest(test, testTruth) : undefined
  const { path, sha256 } = input.origin
  const meta = {
    tool: { name: 'poisonguard', version },
    ...{ attack: run.attack, params: run.params, seed: run.seed },
    input: { path, format: input.origin.format, rows: input.rowCount, sha256 },
    output: {
      path: flags.out,
      format,
      rows: run.dataset.rowCount,
      truth: flags.truth,
      poisoned: truth.length,
    },
    info: run.info,
    ...(testMeta ? { triggeredTest: testMeta } : {}),
  }
  const outputs: OutputFile[] = [
    { path: flags.truth, flag: '--truth', contents: `${JSON.stringify(truth)}\n` },
    { path: sidecarPath(flags.out, '.meta.json'), contents: `${JSON.stringify(meta, null, 2)}\n` },
  ]
  if (test && testMeta) {
    outputs.push({ path: testMeta.truth, contents: `${JSON.stringify(testTruth)}\n` })
    const testFormat = { format: test.format }
    outputs.push({
      path: test.output,
      flag: '--triggered-test',
      write: async (to) => void (await writeDataset(test.result.dataset, to, testFormat)),
    })
  }
  outputs.push({
    path: flags.out,
    flag: '--out',
    write: async (to) => void (await writeDataset(run.dataset, to, { format })),
  })
  const lines = [
    `${run.attack} poisoned ${truth.length} records; the output has ${run.dataset.rowCount} (input ${input.rowCount}), seed ${run.seed}.`,
    `Wrote ${flags.out} (${format}), truth ${flags.truth}, meta ${sidecarPath(flags.out, '.meta.json')}`,
  ]
  if (testMeta) {
    const carried = `${testMeta.triggered} of ${testMeta.rows} records carry the trigger`
    lines.push(`Triggered test set: ${testMeta.output} (${carried}), truth ${testMeta.truth}`)
  }
  for (const warning of run.dataset.warnings.slice(input.warnings.length)) lines.push(`warning: ${warning}`)
  return { outputs, summary: `${lines.join('\n')}\n` }
}

/** Adds `poisonguard attack <kind> <input>`: poisons a copy of a dataset on purpose and writes the ground truth. */
export function registerAttackCommand(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const command = program
    .command('attack')
    .description('poison a copy of a dataset on purpose, with the ground truth, to measure defenses')
    .argument('<kind>', `one of: ${Object.keys(attackRegistry).join(', ')}`)
    .argument('<input>', 'dataset: .csv, .jsonl, .parquet, or a folder of images root/<label>/<file>')
    .requiredOption('--out <path>', 'poisoned dataset (a folder for images)')
    .requiredOption('--truth <file.json>', 'JSON array of the ids of poisoned or added records')
    .option('--rate <fraction>', 'share of records to poison (attack parameter rate)', parseRate)
    .option('--target <label>', 'backdoor target label (attack parameter target)')
    .option('--from <label>', 'label-flip: flip only this label (attack parameter from)')
    .option('--to <label>', 'label-flip and targeted: the wrong label (attack parameter to)')
    .option(
      '--param <name=value>',
      'any attack parameter, repeatable; values are JSON or text',
      collectAttackParam,
    )
    .option('--seed <n>', 'seed for every random choice', parseInteger, 0)
    .option(
      '--triggered-test <paths...>',
      'backdoors: <test input> <output>, a copy of a test set with the trigger',
    )
  addDatasetOptions(command)
    .addHelpText('after', () => `${examples}\n${describeAttacks()}`)
    .action(async (kind: string, input: string, flags: AttackFlags) => {
      const params = gatherParams(kind, flags)
      await checkPaths(input, flags)
      const dataset = await loadWithFlags(input, flags)
      const run = applyAttack(kind, dataset, params, flags.seed)
      const test = await triggerTest(run, dataset, flags)
      const { outputs, summary } = plannedOutputs(dataset, run, flags, test)
      await writeOutputsAtomically(outputs, { inputs: inputsOf(input, flags) })
      io.stdout(summary)
    })
}
