import { type Command, Option } from 'commander'
import { PoisonguardError } from '../errors.js'
import type { AggregationScheme } from '../robust/ensemble.js'
import { baseLearners, type LearnerId } from '../robust/learners.js'
import { type CertifyReport, certifyFile, writeCertifyOutputs } from '../workflows/certify-file.js'
import { addDatasetOptions, type DatasetFlags, loadOptions } from './dataset-options.js'
import { exitCodesLine } from './exit-code-help.js'
import type { CliIo } from './io.js'
import { parseInteger, parsePositiveInteger } from './options.js'
import { createProgressReporter } from './progress.js'

interface CertifyFlags extends DatasetFlags {
  data: string
  out: string
  html?: string
  train?: string
  partitions: number
  scheme: AggregationScheme
  spread?: number
  learner: LearnerId
  neighbours?: number
  saveModel?: string
  seed: number
  quiet?: boolean
}

const examples = `
Examples:
  $ poisonguard certify ensemble/ --data test.csv --out certificates.json --html certificates.html
  $ poisonguard certify --train train.csv --data test.csv --partitions 100 --out c.json --save-model ensemble/
  $ poisonguard certify --train digits/ --data test-digits/ --scheme finite --spread 4 --learner logreg --out c.json

MODEL is an ensemble folder (ensemble.json and one ONNX model per member) or the single ONNX graph of one
(written when --save-model or train --out ends in .onnx); with --train an ensemble is trained
on the spot instead (Deep Partition Aggregation by default). Every record gets the ensemble's plurality vote and
its certificate: how many training records an attacker may insert, delete or relabel without changing that
prediction. The JSON holds cleanAccuracy, medianRadius, the certified-accuracy curve and every record.

${exitCodesLine({ badInput: 'bad input or usage (nothing written)' })}`

function describeReport(report: CertifyReport, written: string[]): string {
  const { model, data } = report
  const lines = [
    `Certified ${data.rows} records with ${model.scheme} (${model.partitions} partitions, ${model.learner}, ${model.members} members).`,
    `clean accuracy ${(100 * report.cleanAccuracy).toFixed(2)}% on ${data.labelled} labelled records; median certified radius ${report.medianRadius}`,
    '',
    'radius  certified accuracy',
  ]
  const radii = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].filter((radius) => radius < report.curve.length)
  for (const radius of radii)
    lines.push(
      `${String(radius).padStart(6)}  ${(100 * report.curve[radius].certifiedAccuracy).toFixed(2).padStart(7)}%`,
    )
  for (const warning of report.warnings) lines.push(`warning: ${warning}`)
  lines.push(`Wrote ${written.join(', ')}`)
  return `${lines.join('\n')}\n`
}

/** `poisonguard certify [model]`: certified predictions of a partition ensemble. */
export function registerCertifyCommand(program: Command, io: CliIo): void {
  const command = program
    .command('certify')
    .description('certify predictions against training-set poisoning with a partition ensemble (DPA)')
    .argument(
      '[model]',
      'ensemble written by poisonguard: a folder (ensemble.json + member .onnx files) or one .onnx graph',
    )
    .requiredOption('--data <file>', 'records to certify; their labels give the certified accuracy')
    .requiredOption('--out <file.json>', 'JSON: cleanAccuracy, medianRadius, curve and one entry per record')
    .option('--html <file>', 'self-contained HTML report with the certified-accuracy plot')
    .option('--train <file>', 'train the ensemble on this labelled data instead of loading MODEL')
    .option('--partitions <k>', 'partitions (votes) of the trained ensemble', parsePositiveInteger, 100)
    .addOption(
      new Option('--scheme <scheme>', 'dpa: disjoint partitions; finite: Finite Aggregation')
        .choices(['dpa', 'finite'])
        .default('dpa'),
    )
    .option('--spread <d>', 'buckets per member with --scheme finite (default 4)', parsePositiveInteger)
    .addOption(
      new Option('--learner <name>', 'base learner').choices(Object.keys(baseLearners)).default('knn'),
    )
    .option('--neighbours <k>', 'neighbours of the knn learner (default 1)', parsePositiveInteger)
    .option(
      '--save-model <path>',
      'keep the trained ensemble: a folder of ONNX models, or one graph if it ends in .onnx',
    )
    .option('--seed <n>', 'seed of the members’ solvers', parseInteger, 1)
    .option('-q, --quiet', 'no progress bars')
  addDatasetOptions(command, { embeddings: false })
    .addHelpText('after', examples)
    .action(async (model: string | undefined, flags: CertifyFlags) => {
      const progress = createProgressReporter(io, flags.quiet ?? false)
      try {
        const result = await certifyFile({
          ensemble: resolveEnsembleSource(model, flags),
          data: flags.data,
          load: loadOptions(flags),
          onProgress: (stage, fraction) =>
            progress.update(stage === 'train' ? 'training' : 'certifying', fraction),
        })
        await writeCertifyOutputs(result, { out: flags.out, html: flags.html, saveModel: flags.saveModel }, [
          model,
          flags.train,
          flags.data,
        ])
        progress.stop()
        io.stdout(
          describeReport(
            result.report,
            [flags.out, flags.html, flags.saveModel].filter((p) => p !== undefined),
          ),
        )
      } finally {
        progress.stop()
      }
    })
}

function resolveEnsembleSource(model: string | undefined, flags: CertifyFlags) {
  if ((model === undefined) === (flags.train === undefined)) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      model === undefined ? 'no ensemble to certify with' : 'both an ensemble folder and --train were given',
      { hint: 'pass either an ensemble folder MODEL or --train DATA to train one' },
    )
  }
  if (model !== undefined) return { model }
  return {
    train: flags.train!,
    partitions: flags.partitions,
    scheme: flags.scheme,
    spread: flags.spread,
    learner: flags.learner,
    learnerOptions: flags.neighbours === undefined ? {} : { neighbours: flags.neighbours },
    seed: flags.seed,
  }
}
