import { type Command, InvalidArgumentError } from 'commander'
import { attackRegistry, getAttack } from '../attacks/index.js'
import { PoisonguardError } from '../errors.js'
import { describeParams, paramNames } from '../util/params.js'
import { type AttackBundle, attackFile, type TriggeredTestPaths } from '../workflows/attack-file.js'
import { addDatasetOptions, type DatasetFlags, loadOptions } from './dataset-options.js'
import type { CliIo } from './io.js'
import { collectAttackParam, EXCEL_SAFE_HELP, parseInteger } from './options.js'

interface AttackFlags extends DatasetFlags {
  excelSafe?: boolean
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

const examples = `
Examples:
  $ poisonguard attack label-flip mnist.csv --out flipped.csv --truth flipped-ids.json --rate 0.1
  $ poisonguard attack label-flip mnist.csv --out flipped.csv --truth ids.json --from 7 --to 1 --rate 0.05
  $ poisonguard attack backdoor-patch mnist.csv --out patched.csv --truth ids.json --target 0 \\
      --param size=4 --param position=random --triggered-test mnist-test.csv mnist-test-triggered.csv
  $ poisonguard attack backdoor-token spam.jsonl --out spam-bd.jsonl --truth ids.json --target ham --param token=cf
  $ poisonguard attack availability data.csv --out flooded.csv --truth ids.json --param mode=flood --rate 0.05
  $ poisonguard attack targeted data.csv --out t.csv --truth ids.json --param targetId=4711 --param count=10
  $ poisonguard attack instruction-backdoor pairs.jsonl --out pairs-bd.jsonl --truth ids.json --rate 0.01
  $ poisonguard attack rag-inject docs.jsonl --queries questions.jsonl --out docs-rag.jsonl --truth ids.json \\
      --param targets=20 --param passages=5

Writes the poisoned dataset (format from the --out extension, else the input's), the ground truth (a JSON array
of the poisoned or added record ids) and <out>.meta.json with the parameters and what the attack did. Fine-tuning
pairs written as JSON Lines keep the input's fields (prompt/response, instruction/output or messages), so
\`poisonguard scan\` reads them back as pairs.`

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
    for (const { name, defaultValue, description } of describeParams(attack.params)) {
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
  const names = paramNames(attack.params)
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

/** The `--triggered-test <input> <output>` pair, checked for its two paths. */
function triggeredTestPaths(flags: AttackFlags): TriggeredTestPaths | undefined {
  const paths = flags.triggeredTest
  if (!paths) return undefined
  if (paths.length !== 2) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `--triggered-test takes two paths, the test set and where to write its triggered copy; received ${paths.length}`,
      { hint: 'e.g. --triggered-test test.csv test-triggered.csv' },
    )
  }
  return { input: paths[0], output: paths[1] }
}

function describeBundle({ meta, metaPath, warnings }: AttackBundle): string {
  const { output, input } = meta
  const lines = [
    `${meta.attack} poisoned ${output.poisoned} records; the output has ${output.rows} (input ${input.rows}), seed ${meta.seed}.`,
    `Wrote ${output.path} (${output.format}), truth ${output.truth}, meta ${metaPath}`,
  ]
  const test = meta.triggeredTest
  if (test) {
    const carried = `${test.triggered} of ${test.rows} records carry the trigger`
    lines.push(`Triggered test set: ${test.output} (${carried}), truth ${test.truth}`)
  }
  for (const warning of warnings) lines.push(`warning: ${warning}`)
  return `${lines.join('\n')}\n`
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
    .option('--excel-safe', EXCEL_SAFE_HELP)
  addDatasetOptions(command, { content: true })
    .addHelpText('after', () => `${examples}\n${describeAttacks()}`)
    .action(async (kind: string, input: string, flags: AttackFlags) => {
      const bundle = await attackFile({
        attack: kind,
        input,
        load: loadOptions(flags),
        params: gatherParams(kind, flags),
        seed: flags.seed,
        out: flags.out,
        truth: flags.truth,
        triggeredTest: triggeredTestPaths(flags),
        excelSafe: flags.excelSafe,
      })
      io.stdout(describeBundle(bundle))
    })
}
