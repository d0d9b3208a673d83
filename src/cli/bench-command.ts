import { basename } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { attackIds } from '../attacks/registry.js'
import { runBenchmark } from '../evaluation/bench.js'
import { benchBuiltinNames, parseBuiltinNames } from '../evaluation/bench-data.js'
import { checkPlanOptions } from '../evaluation/bench-plan.js'
import { renderBenchMarkdown, renderBenchText } from '../evaluation/bench-render.js'
import { loadDataset } from '../io/index.js'
import { checkOutputs } from '../io/output-safety.js'
import { type OutputFile, writeOutputsAtomically } from '../io/transaction.js'
import { addDatasetOptions, type DatasetFlags, loadOptions } from './dataset-options.js'
import type { CliIo } from './io.js'
import { parseInteger, parseList } from './options.js'
import { createProgressReporter } from './progress.js'

interface BenchFlags extends DatasetFlags {
  quick?: boolean
  builtin?: string[]
  dataset?: string[]
  attacks?: string[]
  rates?: number[]
  seed: number
  out?: string
  markdown?: string
  quiet?: boolean
}

const examples = `
Examples:
  $ poisonguard bench --quick
  $ poisonguard bench --out bench.json --markdown BENCHMARKS-detection.md
  $ poisonguard bench --builtin spam --attacks label-flip,backdoor-token --rates 0.01,0.05
  $ poisonguard bench --builtin none --dataset train.csv --label outcome --rates 0.05

Each attack poisons a copy of the training split (80%) at each rate; every detector alone and the fused scan are
scored against the ground truth (AP, AUROC, precision/recall/F1 at the default operating point, time), and the
built-in model is trained on the poisoned, scan-cleaned and oracle-cleaned data and measured on the test split
(clean accuracy, attack success). --quick: a 2,000-record MNIST subset, two attacks, rate 0.1.`

function parseRates(value: string): number[] {
  const rates = parseList(value).map(Number)
  if (rates.length === 0 || rates.some((rate) => !(rate > 0 && rate <= 1)))
    throw new InvalidArgumentError('expected comma-separated shares in (0, 1], e.g. 0.01,0.05')
  return rates
}

function parseBuiltin(value: string): string[] {
  return value.trim() === 'none' ? [] : parseList(value)
}

function collectPath(value: string, collected: string[] = []): string[] {
  return [...collected, value]
}

/** Flags that shape the numbers, in the order a reproducing command lists them. */
const reproducingFlags = [
  'quick',
  'builtin',
  'dataset',
  'format',
  'id',
  'label',
  'text',
  'source',
  'features',
  'embeddings',
  'imageSize',
  'attacks',
  'rates',
  'seed',
] as const

function flagText(value: unknown): string {
  if (!Array.isArray(value)) return String(value)
  return value.length > 0 ? value.join(',') : 'none'
}

/** The command line that reproduces a run, quoted in the Markdown next to its numbers. */
function describeCommand(flags: BenchFlags): string {
  const parts = ['poisonguard bench']
  for (const name of reproducingFlags) {
    const value = flags[name]
    const option = `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`
    if (value === undefined || (name === 'seed' && value === 1)) continue
    if (value === true) parts.push(option)
    else if (name === 'dataset') for (const path of value as string[]) parts.push(`${option} ${path}`)
    else parts.push(`${option} ${flagText(value)}`)
  }
  return parts.join(' ')
}

/** Loads `--dataset` files, each named by its file name (or its path when two share a name). */
async function loadUserDatasets(flags: BenchFlags) {
  const options = loadOptions(flags)
  const paths = flags.dataset ?? []
  const names = paths.map((path) => basename(path))
  const datasets = []
  for (const [index, path] of paths.entries()) {
    const shared = names.filter((name) => name === names[index]).length > 1
    datasets.push({ name: shared ? path : names[index], dataset: await loadDataset(path, options) })
  }
  return datasets
}

/** Adds `poisonguard bench`: attacks × rates × datasets, every detector scored, and the effect on a model. */
export function registerBenchCommand(
  program: Command,
  io: CliIo,
  _setExitCode: (code: number) => void,
): void {
  const command = program
    .command('bench')
    .description('measure every detector against every attack, and what cleaning does for a model')
    .option('--quick', 'a small subset for CI: 2,000 MNIST records, two attacks, one rate')
    .option(
      '--builtin <names>',
      `built-in datasets, comma-separated, or none (default: ${benchBuiltinNames.join(',')}; mnist with --quick)`,
      parseBuiltin,
    )
    .option('--dataset <file>', 'also bench this dataset, split 80/20 (repeatable)', collectPath)
    .option(
      '--attacks <ids>',
      `comma-separated attacks (default: all a dataset supports): ${attackIds.join(', ')}`,
      parseList,
    )
    .option(
      '--rates <shares>',
      'comma-separated poisoning rates (default: 0.01,0.05,0.1; 0.1 with --quick)',
      parseRates,
    )
    .option('--seed <n>', 'seed for splits, attacks, scans and models', parseInteger, 1)
    .option('--out <file>', 'write every number as JSON (default: only the tables, on stdout)')
    .option('--markdown <file>', 'also write the tables as a Markdown section')
    .option('-q, --quiet', 'no progress bar')
  addDatasetOptions(command)
    .addHelpText('after', examples)
    .action(async (flags: BenchFlags) => {
      checkPlanOptions(flags)
      if (flags.builtin) parseBuiltinNames(flags.builtin)
      const outputs = [
        ...(flags.out ? [{ path: flags.out, flag: '--out' }] : []),
        ...(flags.markdown ? [{ path: flags.markdown, flag: '--markdown' }] : []),
      ]
      // Fails before a long run, not after it, when an output cannot be written.
      await checkOutputs(outputs, flags.dataset)
      const datasets = await loadUserDatasets(flags)
      const progress = createProgressReporter(io, flags.quiet ?? false)
      try {
        const result = await runBenchmark({
          quick: flags.quick ?? false,
          builtin: flags.builtin,
          datasets,
          attacks: flags.attacks,
          rates: flags.rates,
          seed: flags.seed,
          onProgress: ({ step, fractionDone }) => progress.update(step, fractionDone),
        })
        progress.stop()
        const files: OutputFile[] = []
        if (flags.out) {
          const json = `${JSON.stringify(result, null, 2)}\n`
          files.push({ path: flags.out, flag: '--out', contents: json })
        }
        if (flags.markdown) {
          const markdown = renderBenchMarkdown(result, { command: describeCommand(flags) })
          files.push({ path: flags.markdown, flag: '--markdown', contents: markdown })
        }
        await writeOutputsAtomically(files, { inputs: flags.dataset })
        const wrote = outputs.length > 0 ? `Wrote ${outputs.map(({ path }) => path).join(', ')}\n` : ''
        io.stdout(`${renderBenchText(result)}\n${wrote}`)
      } finally {
        progress.stop()
      }
    })
}
