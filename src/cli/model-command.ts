import { type Command, Option } from 'commander'
import { type Severity, severityOrder } from '../domain/index.js'
import {
  type EvaluateModelResult,
  evaluateModel,
  exitCodeForEvaluation,
} from '../workflows/evaluate-model.js'
import { ExitCode } from '../workflows/exit-codes.js'
import { type ScanModelTriggersResult, scanModelTriggers } from '../workflows/scan-model-triggers.js'
import { addDatasetOptions, type DatasetFlags, loadOptions } from './dataset-options.js'
import { exitCodesLine } from './exit-code-help.js'
import type { CliIo } from './io.js'
import { parseInteger, parsePositiveInteger, parseShare } from './options.js'

interface EvaluateFlags extends DatasetFlags {
  golden: string
  reference?: string
  referenceOutputs?: string
  alpha: number
  out?: string
  failOn?: Severity
  quiet?: boolean
}

const evaluateExamples = `
Examples:
  $ poisonguard model evaluate candidate.onnx --golden golden.csv --reference clean.onnx --fail-on medium
  $ poisonguard model evaluate candidate.onnx --golden golden.csv --reference-outputs ref.json --out eval.json

Runs both models on the golden records and compares their predictions: per-class accuracy (when the golden set
has labels), the records whose prediction changed, and McNemar's exact test on every class pair (Holm-corrected).
A pair whose changes run one way, or changed records sharing a feature, is a behavioural finding.
--reference-outputs is a JSON array of {"id": …, "label": …}, one per golden record. Either model may be an
ensemble from train --robust dpa|finite (its folder or its single .onnx graph): its prediction is the plurality
vote of its members.

${exitCodesLine({ findingsAtFailOn: 'a finding at or above --fail-on' })}`

function describeEvaluation({ report }: EvaluateModelResult): string {
  const lines = [
    `${report.changedCount} of ${report.recordCount} golden records changed prediction between the reference and the candidate.`,
  ]
  for (const row of report.perClass) {
    if (row.candidateAccuracy === undefined) continue
    const drop = row.candidateAccuracy < row.referenceAccuracy! - 0.02 ? '  ← lower' : ''
    lines.push(
      `  ${row.label.padEnd(12)} accuracy ${(row.candidateAccuracy * 100).toFixed(1)}% (reference ${(row.referenceAccuracy! * 100).toFixed(1)}%), ${row.changed} changed${drop}`,
    )
  }
  if (report.findings.length === 0)
    lines.push('No behavioural finding: the changes look like retraining noise.')
  for (const finding of report.findings) lines.push(`${finding.severity}: ${finding.message}`)
  return `${lines.join('\n')}\n`
}

function registerEvaluate(model: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = model
    .command('evaluate')
    .description('compare a candidate model with a known-clean reference on golden records')
    .argument('<candidate>', 'the ONNX model (or ensemble folder) to check')
    .requiredOption('--golden <data>', 'golden records (labelled for per-class accuracy)')
    .option('--reference <model.onnx>', 'a known-clean reference model')
    .option('--reference-outputs <ref.json>', "the reference's recorded predictions on the golden records")
    .option('--alpha <p>', 'family-wise error rate of the tests', parseShare, 0.01)
    .option('--out <report.json>', 'write the full comparison as JSON')
    .addOption(
      new Option('--fail-on <severity>', 'exit 3 when a finding reaches this severity').choices(
        severityOrder,
      ),
    )
    .option('--quiet', 'print nothing on success')
  addDatasetOptions(command, { embeddings: false })
    .addHelpText('after', evaluateExamples)
    .action(async (candidate: string, flags: EvaluateFlags) => {
      const result = await evaluateModel({
        candidate,
        golden: flags.golden,
        load: loadOptions(flags),
        reference: flags.reference,
        referenceOutputs: flags.referenceOutputs,
        alpha: flags.alpha,
        out: flags.out,
      })
      if (!flags.quiet) io.stdout(describeEvaluation(result))
      setExitCode(exitCodeForEvaluation(result, flags.failOn))
    })
}

interface ScanTriggersFlags extends DatasetFlags {
  clean: string
  training?: string
  out?: string
  samples: number
  steps: number
  seed: number
  failOnBackdoor?: boolean
  quiet?: boolean
}

const scanExamples = `
Examples:
  $ poisonguard model scan-triggers model.onnx --clean clean.csv --out triggers.json
  $ poisonguard model scan-triggers vendor-model.onnx --clean digits/ --out triggers.json --fail-on-backdoor
  $ poisonguard model scan-triggers mail-model.onnx --clean clean.jsonl --training train.jsonl --out triggers.json

For each label, searches the smallest trigger (mask and pattern) that sends most clean inputs of other labels to
it: by gradient for models made by poisonguard train, by a square-patch search for any other image model, by
setting columns to their extremes one at a time for any other tabular model, and for text models by appending
candidate tokens and phrases. With --training, the triggers found there are tried first (the patches or values
trigger mining suspects, the tokens tied to one label). A
label whose trigger is far smaller than the others' (Neural Cleanse anomaly index > 2) marks a backdoor.
--out writes verdict, targetLabel, anomalyIndex and the trigger (its features, or its text; for images also
<out>.png). An ensemble (folder or single graph from train --robust dpa|finite) has no single gradient: it is
searched black-box on its plurality vote (patches on images, columns at their extremes on tables).

${exitCodesLine({ findingsAtFailOn: 'backdoored with --fail-on-backdoor' })}`

function describeScan(result: ScanModelTriggersResult): string {
  const obeysMined = 'evidence' in result && result.evidence === 'mined-trigger'
  const head =
    result.verdict !== 'backdoored'
      ? `No backdoor found (anomaly index ${result.anomalyIndex.toFixed(2)} ≤ 2).`
      : obeysMined
        ? `Backdoored: the model sends clean inputs to label ${result.targetLabel} when stamped with the trigger found in its training data (anomaly index ${result.anomalyIndex.toFixed(2)}).`
        : `Backdoored: label ${result.targetLabel} has an anomalously small trigger (anomaly index ${result.anomalyIndex.toFixed(2)} > 2).`
  const norms = result.labels
    .map((label) => `${label.label}: ${'maskNorm' in label ? label.maskNorm.toFixed(1) : label.size}`)
    .join(', ')
  const found =
    result.method === 'text' && result.trigger.trigger
      ? `Smallest trigger: "${result.trigger.trigger}" (${result.trigger.size} words appended, label ${result.trigger.label})\n`
      : ''
  return `${head}
Trigger size per label (${result.method} search): ${norms}
${found}`
}

function registerScanTriggers(model: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = model
    .command('scan-triggers')
    .description('reverse-engineer backdoor triggers per label (Neural Cleanse)')
    .argument('<model>', 'the ONNX model (or ensemble folder) to check')
    .requiredOption('--clean <data>', 'clean labelled inputs of every class')
    .option('--training <data>', "the model's training data: triggers found there are tried first")
    .option('--out <report.json>', 'write verdict, targetLabel, anomalyIndex and the trigger as JSON')
    .option('--samples <n>', 'clean inputs of other labels per target label', parsePositiveInteger, 32)
    .option('--steps <n>', 'optimisation steps per label (gradient search)', parsePositiveInteger, 60)
    .option('--seed <n>', 'seed of the sampled inputs', parseInteger, 1)
    .option('--fail-on-backdoor', 'exit 3 when the model looks backdoored')
    .option('--quiet', 'print nothing on success')
  addDatasetOptions(command, { embeddings: false })
    .addHelpText('after', scanExamples)
    .action(async (modelPath: string, flags: ScanTriggersFlags) => {
      const result = await scanModelTriggers({
        model: modelPath,
        clean: flags.clean,
        training: flags.training,
        load: loadOptions(flags),
        out: flags.out,
        samplesPerLabel: flags.samples,
        steps: flags.steps,
        seed: flags.seed,
      })
      if (!flags.quiet) io.stdout(describeScan(result))
      if (flags.failOnBackdoor && result.verdict === 'backdoored') setExitCode(ExitCode.findingsAtFailOn)
    })
}

/** Adds `poisonguard model …`: checks of a trained model's behaviour. */
export function registerModelCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const model = program
    .command('model')
    .description("check a trained model's behaviour (any ONNX classifier)")
  registerEvaluate(model, io, setExitCode)
  registerScanTriggers(model, io, setExitCode)
}
