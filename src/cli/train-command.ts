import { type Command, InvalidArgumentError, Option } from 'commander'
import { writeOutputsAtomically } from '../io/transaction.js'
import { type BuiltinModelKind, builtinModelKinds } from '../models/train-network.js'
import { baseLearners, type LearnerId } from '../robust/learners.js'
import { isSingleGraphPath } from '../workflows/ensemble-folder.js'
import {
  type RobustMode,
  type RobustTrainResult,
  robustModes,
  robustTrainFile,
  robustTrainingProcedure,
  robustTrainOutput,
} from '../workflows/robust-train.js'
import { type TrainModelResult, trainModel } from '../workflows/train-model.js'
import { addDatasetOptions, type DatasetFlags, loadOptions } from './dataset-options.js'
import { exitCodesLine } from './exit-code-help.js'
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
  robust?: RobustMode
  partitions?: number
  learner?: LearnerId
  neighbours?: number
  epsilon?: number
  pgdSteps?: number
}

const examples = `
Examples:
  $ poisonguard train mnist.csv --model mlp --out mnist.onnx --key team.pem
  $ poisonguard train spam.csv --model logreg --out spam.onnx --manifest spam.manifest.json
  $ poisonguard train data.csv --model mlp --hidden 128 --epochs 10 --seed 7 --out model.onnx
  $ poisonguard train mnist.csv --robust dpa --partitions 100 --learner knn --out ensemble/
  $ poisonguard train mnist.csv --robust dpa --partitions 100 --learner knn --neighbours 3 --out ensemble.onnx
  $ poisonguard train mnist.csv --robust adversarial --epsilon 0.1 --out robust.onnx
  $ poisonguard train mnist.csv --model mlp --robust adversarial --epsilon 0.07 --out robust-mlp.onnx
  $ poisonguard train data.csv --robust per-source --source source --out sources.json

Writes the model as ONNX (input "features" float32 [rows, columns], output "probabilities" [rows, classes]) and
its model card <out>.card.json beside it: a DSSE envelope (Ed25519-signed with --key) whose in-toto statement
names the model by SHA-256 and records the training data's file hash, record Merkle root and manifest digest,
the model settings, the seed and the training accuracy. Text data is read as hashed TF-IDF of its words.

--robust dpa|finite writes a certified partition ensemble for \`poisonguard certify\` and the model commands: a
folder (ensemble.json and one ONNX model per member), or one ONNX graph holding the members and their plurality
vote when --out ends in .onnx; per-source writes a JSON report of the sources whose model disagrees with the
others beyond chance, with their records; adversarial (PGD in feature units, Madry et al.) trains the logistic
regression or the MLP (--model mlp), gce (generalised cross-entropy, for noisy labels) the logistic regression;
both write the model with its model card.

${exitCodesLine({ badInput: 'bad input or usage (nothing written)' })}`

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

function describeRobust(result: RobustTrainResult, out: string): string {
  if ('ensemble' in result) {
    const { members, partitionCount, scheme, learner } = result.ensemble
    const written = isSingleGraphPath(out) ? 'the ensemble as one ONNX graph' : 'the ensemble folder'
    return `Trained ${members.length} ${learner} members over ${partitionCount} partitions (${scheme}); wrote ${written} ${out}.\nCertify its predictions with: poisonguard certify ${out} --data test.csv --out certificates.json\n`
  }
  if ('report' in result) {
    const flagged = result.report.sources.filter((source) => source.flagged)
    const names = flagged.map((source) => source.source).join(', ')
    return `Compared ${result.report.sources.length} ${result.report.grouping} models: ${flagged.length} disagree beyond chance${flagged.length > 0 ? ` (${names})` : ''}; wrote ${out}.\n`
  }
  return ''
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
    .addOption(new Option('--robust <mode>', 'robust training (see below)').choices(robustModes))
    .option('--partitions <k>', 'dpa, finite: partitions (default 100)', parsePositiveInteger)
    .option(
      '--neighbours <k>',
      'dpa, finite, per-source: neighbours of the knn learner (default 1)',
      parsePositiveInteger,
    )
    .addOption(
      new Option('--learner <name>', 'dpa, finite, per-source: base learner (default knn)').choices(
        Object.keys(baseLearners),
      ),
    )
    .option(
      '--epsilon <radius>',
      'adversarial: L∞ radius of PGD in feature units (default 0.1)',
      parsePositive,
    )
    .option('--pgd-steps <n>', 'adversarial: PGD steps per update (default 3)', parsePositiveInteger)
  addDatasetOptions(command, { embeddings: false })
    .addHelpText('after', examples)
    .action(async (data: string, flags: TrainFlags) => {
      if (flags.robust === 'dpa' || flags.robust === 'finite' || flags.robust === 'per-source') {
        const result = await robustTrainFile({
          data,
          load: loadOptions(flags),
          robust: flags.robust,
          partitions: flags.partitions,
          learner: flags.learner,
          learnerOptions: flags.neighbours === undefined ? {} : { neighbours: flags.neighbours },
          seed: flags.seed,
        })
        await writeOutputsAtomically([robustTrainOutput(result, flags.out)], { inputs: [data] })
        if (!flags.quiet) io.stdout(describeRobust(result, flags.out))
        return
      }
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
        ...(flags.robust
          ? {
              procedure: robustTrainingProcedure(flags.robust, {
                epsilon: flags.epsilon,
                pgdSteps: flags.pgdSteps,
              }),
            }
          : {}),
      })
      if (!flags.quiet) io.stdout(describeResult(result))
    })
}
