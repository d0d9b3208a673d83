import type { Command } from 'commander'
import { type TraceModelResult, traceModel } from '../workflows/trace-model.js'
import { addDatasetOptions, type DatasetFlags, loadOptions } from './dataset-options.js'
import { exitCodesLine } from './exit-code-help.js'
import type { CliIo } from './io.js'
import { parsePositiveInteger } from './options.js'

interface TraceFlags extends DatasetFlags {
  training: string
  inputs: string
  top: number
  out?: string
  quiet?: boolean
}

const examples = `
Examples:
  $ poisonguard trace model.onnx --training train.csv --inputs bad.csv --out trace.json
  $ poisonguard trace model.onnx --training train.csv --inputs bad.csv --top 20

Explains the model's predictions on the --inputs records: ranks the training records by closeness, in the model's
own representation, to the inputs predicted as their label (poison and the inputs it controls share it). The
JSON holds records: [{id, score, source, label}], most responsible first; source comes from the training data's
source column. Models made by poisonguard train also get a TracIn-style gradient score per record. An ensemble
(folder or single graph from train --robust dpa|finite) of k-NN members credits each record with the member votes
it carried; one of networks is traced in the input features. The JSON says which under "ensemble".

${exitCodesLine({ badInput: 'bad input or usage (nothing written)' })}`

function describeTrace(result: TraceModelResult): string {
  const predicted = Object.entries(result.predictions)
    .map(([label, count]) => `${label}: ${count}`)
    .join(', ')
  const lines = [`Predictions explained: ${predicted}.`, 'Most responsible training records:']
  for (const record of result.records.slice(0, 10))
    lines.push(
      `  ${record.id.padEnd(12)} score ${record.score.toFixed(3)}  label ${record.label ?? '-'}  source ${record.source ?? '-'}`,
    )
  return `${lines.join('\n')}\n`
}

/** Adds `poisonguard trace <model>`: the training records most responsible for given predictions. */
export function registerTraceCommand(program: Command, io: CliIo): void {
  const command = program
    .command('trace')
    .description('rank the training records most responsible for a model’s predictions on given inputs')
    .argument('<model>', 'the ONNX model, or an ensemble folder')
    .requiredOption('--training <data>', 'the data the model was trained on')
    .requiredOption('--inputs <data>', 'the inputs whose predictions to explain (same columns)')
    .option('--top <n>', 'training records to list', parsePositiveInteger, 100)
    .option('--out <trace.json>', 'write the ranked records as JSON')
    .option('--quiet', 'print nothing on success')
  addDatasetOptions(command, { embeddings: false })
    .addHelpText('after', examples)
    .action(async (model: string, flags: TraceFlags) => {
      const result = await traceModel({
        model,
        training: flags.training,
        inputs: flags.inputs,
        load: loadOptions(flags),
        top: flags.top,
        out: flags.out,
      })
      if (!flags.quiet) io.stdout(describeTrace(result))
    })
}
