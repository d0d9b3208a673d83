import type { Command } from 'commander'
import { builtinDatasets, getBuiltinDataset } from '../io/builtin/index.js'
import type { CliIo } from './io.js'
import { parsePositiveInteger } from './options.js'
import { createProgressReporter } from './progress.js'

export function registerDatasetsCommand(program: Command, io: CliIo): void {
  const datasets = program
    .command('datasets')
    .description('list and export the built-in public datasets')
    .addHelpText(
      'after',
      '\nExamples:\n  $ poisonguard datasets list\n  $ poisonguard datasets export mnist --out mnist.csv',
    )
  datasets
    .command('list')
    .description('list the built-in datasets')
    .addHelpText('after', '\nExample:\n  $ poisonguard datasets list')
    .action(() => {
      for (const [name, dataset] of Object.entries(builtinDatasets)) {
        io.stdout(
          `${name.padEnd(8)} ${String(dataset.rows).padStart(6)} rows  ${dataset.format.padEnd(5)}  ${dataset.summary}\n`,
        )
      }
    })
  datasets
    .command('export')
    .description('write a built-in dataset to a file: CSV, JSON Lines or Parquet by the extension of --out')
    .argument('<name>', `one of: ${Object.keys(builtinDatasets).join(', ')}`)
    .requiredOption('--out <file>', 'where to write it')
    .option('--limit <rows>', 'only the first rows', parsePositiveInteger)
    .option('-q, --quiet', 'no progress bar')
    .addHelpText(
      'after',
      '\nExamples:\n  $ poisonguard datasets export mnist --out mnist.csv\n  $ poisonguard datasets export spam --out spam.jsonl --limit 1000\n  $ poisonguard datasets export spam --out spam.csv',
    )
    .action(async (name: string, flags: { out: string; limit?: number; quiet?: boolean }) => {
      const dataset = getBuiltinDataset(name)
      const progress = createProgressReporter(io, flags.quiet ?? false)
      try {
        const onProgress = (fractionDone: number) => progress.update('export', fractionDone)
        await dataset.write(flags.out, { limit: flags.limit, onProgress })
      } finally {
        progress.stop()
      }
      io.stdout(
        `Wrote ${flags.limit ? Math.min(flags.limit, dataset.rows) : dataset.rows} rows of ${name} to ${flags.out}\n`,
      )
    })
}
