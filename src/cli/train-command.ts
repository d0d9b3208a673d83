import { type Command, InvalidArgumentError, Option } from 'commander'
import { type BuiltinModelKind, builtinModelKinds } from '../models/train-network.js'
import { type TrainModelResult, trainModel } from '../workflows/train-model.js'
import { addDatasetOptions, type DatasetFlags, loadOptions } from './dataset-options.js'
import type { CliIo } from './io.js'
import { parseInteger, parsePositiveInteger } from './options.js'

interface TrainFlags extends DatasetFlags {
  model: BuiltinModelKind
  out: string
  seed: number
  key?: string
  manifest?: string
  hidden?: number
  epochs?: number
  batchSize?: number
  learningRate?: number
  l2?: number
  quiet?: boolean
}

const examples = `
Examples:
  $ poisonguard train mnist.csv --model mlp --out mnist.onnx --key team.pem
  $ poisonguard train spam.csv --model logreg --out spam.onnx --manifest spam.manifest.json
  $ poisonguard train data.csv --model mlp --hidden 128 --epochs 10 --seed 7 --out model.onnx

Writes the model as ONNX (input "features" float32 [rows, columns], output "probabilities" [rows, classes]) and
its model card <out>.card.json beside it: a DSSE envelope (Ed25519-signed with --key) whose in-toto statement
names the model by SHA-256 and records the training data's file hash, record Merkle root and manifest digest,
the model settings, the seed and the training accuracy. Text data is read as hashed TF-IDF of its words.

Exit codes: 0 done, 1 bad input or usage (nothing written), 2 internal error (please report it).`

function parsePositive(value: string): number {
  const parsed = Number(value)
  if (!(parsed > 0)) throw new InvalidArgumentError('expected a positive number, e.g. 0.002')
  return parsed
}

function parseNonNegative(value: string): number {
  const parsed = Number(value)
  if (!(parsed >= 0)) throw new InvalidArgumentError('expected a number ≥ 0, e.g. 0.0001')
  return parsed
}

function describeResult(result: TrainModelResult): string {
  const { card } = result
  const accuracy = (card.metrics.trainAccuracy * 100).toFixed(1)
  const signed = result.keyId
    ? `signed by key ${result.keyId.slice(0, 16)}…`
    : 'unsigned: pass --key to sign it'
  return [
    `Trained ${card.model.kind} on ${card.metrics.trainingRecords} records, ${card.model.classes.length} classes, seed ${card.seed}: training accuracy ${accuracy}%.`,
    `Wrote ${result.modelPath} and its model card ${result.cardPath}, ${signed}.`,
    '',
  ].join('\n')
}

/** Adds `poisonguard train <data>`: a built-in classifier as ONNX with a signed model card. */
export function registerTrainCommand(program: Command, io: CliIo): void {
  const command = program
    .command('train')
    .description('train a built-in classifier and write it as ONNX with a signed model card')
    .argument('<data>', 'training data: .csv, .jsonl, .parquet, or a folder of images root/<label>/<file>')
    .addOption(new Option('--model <kind>', 'model family').choices(builtinModelKinds).default('logreg'))
    .requiredOption('--out <model.onnx>', 'where the ONNX model goes; the card goes to <out>.card.json')
    .option('--seed <n>', 'seed of the initial weights and the row order', parseInteger, 1)
    .option('--key <private.pem>', 'Ed25519 private key that signs the model card')
    .option('--manifest <file>', "the training data's manifest, whose digest the card records")
    .option('--hidden <units>', 'mlp: hidden units (default 64)', parsePositiveInteger)
    .option('--epochs <n>', 'passes over the data (default 10 for logreg, 5 for mlp)', parsePositiveInteger)
    .option('--batch-size <rows>', 'mlp: rows per Adam step (default 128)', parsePositiveInteger)
    .option('--learning-rate <step>', 'mlp: Adam step size (default 0.002)', parsePositive)
    .option('--l2 <penalty>', 'weight penalty (default 1e-4)', parseNonNegative)
    .option('--quiet', 'print nothing on success')
  addDatasetOptions(command, { embeddings: false })
    .addHelpText('after', examples)
    .action(async (data: string, flags: TrainFlags) => {
      // Robust training options map to a `TrainingProcedure` passed as `procedure`; the card names it.
      const result = await trainModel({
        data,
        load: loadOptions(flags),
        model: flags.model,
        out: flags.out,
        seed: flags.seed,
        privateKeyPath: flags.key,
        manifest: flags.manifest,
        parameters: {
          hiddenUnits: flags.hidden,
          epochs: flags.epochs,
          batchSize: flags.batchSize,
          learningRate: flags.learningRate,
          l2: flags.l2,
        },
      })
      if (!flags.quiet) io.stdout(describeResult(result))
    })
}
