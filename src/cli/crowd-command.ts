import { type Command, InvalidArgumentError, Option } from 'commander'
import {
  type AdversaryPolicy,
  type AggregationModel,
  aggregationModels,
  type CrowdReport,
} from '../crowd/index.js'
import type { RawRecordFormat } from '../io/formats/index.js'
import { crowdFile } from '../workflows/crowd-file.js'
import { exitCodesLine } from './exit-code-help.js'
import type { CliIo } from './io.js'
import { parseInteger, parseShare } from './options.js'
import { createProgressReporter } from './progress.js'

interface CrowdFlags {
  out: string
  report?: string
  html?: string
  gold?: string
  dataset?: string
  datasetId: string
  seed: number
  model: AggregationModel
  adversaries: AdversaryPolicy
  downWeight: number
  itemColumn: string
  annotatorColumn: string
  labelColumn: string
  timeColumn?: string
  format?: RawRecordFormat
  alpha: number
  burstWindow: number
  quiet?: boolean
}

const examples = `
Examples:
  $ poisonguard crowd annotations.csv --out consensus.csv --report crowd.json --html crowd.html
  $ poisonguard crowd answers.jsonl --out consensus.jsonl --gold gold.csv --model glad
  $ poisonguard crowd answers.csv --out consensus.csv --dataset images.csv --report crowd.json
  $ poisonguard crowd answers.parquet --out consensus.csv --adversaries down-weight --down-weight 0.2
  $ poisonguard crowd votes.csv --out c.csv --item-column task --annotator-column worker --label-column answer \\
      --time-column submitted_at

One record per answer: item, annotator, label and, optionally, a time (seconds or ISO 8601 dates). The
consensus file has item, label, confidence (the posterior of the label); the report lists every annotator with
its reliability, 95% interval, confusion counts and why it was flagged, the colluding groups with their
evidence, and the items whose consensus is uncertain or changed when the flagged annotators were set aside.

${exitCodesLine({ badInput: 'bad input or usage (nothing written)' })}`

function parsePositive(value: string): number {
  const parsed = Number(value)
  if (!(parsed > 0)) throw new InvalidArgumentError('expected a positive number, e.g. 60')
  return parsed
}

function describeResult(report: CrowdReport, flags: CrowdFlags): string {
  const { input, summary } = report
  const lines = [
    `Aggregated ${input.answers} answers on ${input.items} items from ${input.annotators} annotators with ${report.model}.`,
    `${summary.flaggedAnnotators} annotators flagged, ${summary.groups} colluding groups; ` +
      `${summary.excludedAnnotators} excluded, ${summary.downWeightedAnnotators} down-weighted; ` +
      `${summary.changedItems} consensus labels changed; ${summary.lowConfidenceItems} items below posterior 0.8.`,
  ]
  for (const entry of report.annotators.filter((a) => a.flagged).slice(0, 10))
    lines.push(`  ${entry.annotator}: ${entry.reason}`)
  const flagged = summary.flaggedAnnotators
  if (flagged > 10) lines.push(`  … and ${flagged - 10} more flagged annotators in the report`)
  for (const warning of report.warnings) lines.push(`warning: ${warning}`)
  lines.push(`Wrote ${[flags.out, flags.report, flags.html].filter(Boolean).join(', ')}`)
  return `${lines.join('\n')}\n`
}

/** `poisonguard crowd <annotations>`: consensus labels, annotator reliability, spammers and colluders. */
export function registerCrowdCommand(program: Command, io: CliIo): void {
  program
    .command('crowd')
    .description('aggregate crowdsourced labels; find spammers, targeted and colluding annotators')
    .argument('<annotations>', 'answers: .csv, .jsonl or .parquet, one record per (item, annotator, label)')
    .requiredOption('--out <file>', 'consensus per item: .csv or .jsonl with item, label, confidence')
    .option('--report <file.json>', 'JSON report: annotators, groups, findings')
    .option('--html <file>', 'self-contained HTML report with confusion matrices and the collusion graph')
    .option('--gold <file>', 'known labels for some items (item and label columns)')
    .option(
      '--dataset <file>',
      "the items' own data: the built-in model's view of them is combined with the crowd",
    )
    .option('--dataset-id <column>', 'column of --dataset holding the item ids', 'id')
    .option('--seed <n>', "seed of the model's folds", parseInteger, 0)
    .addOption(
      new Option('--model <name>', 'aggregation model').choices(aggregationModels).default('dawid-skene'),
    )
    .addOption(
      new Option('--adversaries <policy>', 'what to do with flagged annotators')
        .choices(['exclude', 'down-weight', 'keep'])
        .default('exclude'),
    )
    .option(
      '--down-weight <weight>',
      'weight of flagged annotators with --adversaries down-weight',
      parseShare,
      0.1,
    )
    .option('--item-column <name>', 'column with item ids', 'item')
    .option('--annotator-column <name>', 'column with annotator ids', 'annotator')
    .option('--label-column <name>', 'column with the answer', 'label')
    .option('--time-column <name>', 'column with answer times (default: "timestamp" when present)')
    .addOption(
      new Option('--format <format>', 'input format (default: from the extension)').choices([
        'csv',
        'jsonl',
        'parquet',
      ]),
    )
    .option('--alpha <level>', 'family-wise error rate of the annotator and pair tests', parseShare, 0.01)
    .option(
      '--burst-window <seconds>',
      'answers closer in time than this count as a burst',
      parsePositive,
      60,
    )
    .option('-q, --quiet', 'no progress bars')
    .addHelpText('after', examples)
    .action(async (input: string, flags: CrowdFlags) => {
      const progress = createProgressReporter(io, flags.quiet ?? false)
      try {
        const { report } = await crowdFile({
          input,
          columns: {
            item: flags.itemColumn,
            annotator: flags.annotatorColumn,
            label: flags.labelColumn,
            time: flags.timeColumn,
          },
          format: flags.format,
          gold: flags.gold,
          dataset: flags.dataset ? { path: flags.dataset, load: { id: flags.datasetId } } : undefined,
          seed: flags.seed,
          model: flags.model,
          adversaries: flags.adversaries,
          downWeight: flags.adversaries === 'down-weight' ? flags.downWeight : undefined,
          detection: { alpha: flags.alpha, burstWindow: flags.burstWindow },
          out: flags.out,
          report: flags.report,
          html: flags.html,
          onProgress: (step, fraction) => progress.update(step, fraction),
        })
        progress.stop()
        io.stdout(describeResult(report, flags))
      } finally {
        progress.stop()
      }
    })
}
