import type { Command } from 'commander'
import { inferSchema } from '../drift/schema-infer.js'
import { writeOutputsAtomically } from '../io/transaction.js'
import { addDatasetOptions, type DatasetFlags, loadWithFlags } from './dataset-options.js'
import type { CliIo } from './io.js'

interface InferFlags extends DatasetFlags {
  out?: string
}

const examples = `
Examples:
  $ poisonguard schema infer trusted.csv --out schema.json
  $ poisonguard schema infer trusted.jsonl --text body --label category --out schema.json
  $ poisonguard schema infer trusted.csv > schema.json
  $ poisonguard check batch.csv --reference trusted.csv --schema schema.json

Edit the rules (min, max, values, classes, maxNullRate, allowNew) by hand; docs/drift.md describes every field.`

/** `schema infer`; it never sets a non-zero exit code itself, the parameter keeps every register function alike. */
export function registerSchemaCommand(
  program: Command,
  io: CliIo,
  _setExitCode?: (code: number) => void,
): void {
  const schema = program
    .command('schema')
    .description('infer the rules a trusted dataset follows, to validate new batches with `check --schema`')
    .addHelpText('after', examples)
  const infer = schema
    .command('infer')
    .description(
      'write the columns, types, ranges, classes and their prior, null rates and sizes of a dataset',
    )
    .argument('<trusted>', 'dataset to learn the rules from: .csv, .jsonl, .parquet, or an image folder')
    .option('--out <file>', 'where to write the schema (default: print it on stdout)')
  addDatasetOptions(infer, { embeddings: false })
    .addHelpText('after', examples)
    .action(async (trustedPath: string, flags: InferFlags) => {
      const dataset = await loadWithFlags(trustedPath, flags)
      const inferred = inferSchema(dataset, { idColumn: flags.id, sourceColumn: flags.source })
      const contents = `${JSON.stringify(inferred, null, 2)}\n`
      if (!flags.out) {
        io.stdout(contents)
        for (const warning of dataset.warnings) io.stderr(`warning: ${warning}\n`)
        return
      }
      await writeOutputsAtomically([{ path: flags.out, flag: '--out', contents }], { inputs: [trustedPath] })
      const parts = [`${inferred.features.length} features`]
      if (inferred.label)
        parts.push(`label "${inferred.label.column}" with ${inferred.label.classes.length} classes`)
      if (inferred.text) parts.push(`text "${inferred.text.column}"`)
      if (inferred.source) parts.push(`source "${inferred.source.column}"`)
      if (inferred.image) parts.push(`${inferred.image.width}×${inferred.image.height} images`)
      io.stdout(
        `Wrote the schema of ${trustedPath} (${dataset.rowCount} rows; ${parts.join(', ')}) to ${flags.out}\n`,
      )
      for (const warning of dataset.warnings) io.stdout(`warning: ${warning}\n`)
    })
}
