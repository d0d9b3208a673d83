import { readFile } from 'node:fs/promises'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { type Severity, severityOrder } from '../domain/index.js'
import { DEFAULT_MMD_ROWS_PER_SIDE } from '../drift/mmd.js'
import type { DatasetSchema } from '../drift/schema.js'
import type { CheckReport } from '../drift/types.js'
import { PoisonguardError } from '../errors.js'
import { type OutputFile, writeOutputsAtomically } from '../io/transaction.js'
import { jsonWriter } from '../report/writers/json.js'
import { checkFiles } from '../workflows/check-files.js'
import { exitCodeForFindings } from '../workflows/exit-codes.js'
import { addDatasetOptions, type DatasetFlags, loadOptions } from './dataset-options.js'
import { exitCodesLine } from './exit-code-help.js'
import type { CliIo } from './io.js'
import { parseInteger, parsePositiveInteger } from './options.js'
import { createProgressReporter } from './progress.js'
import { reportLine } from './report-line.js'

/** The dataset-reading flags of check and schema: the same column conventions for every dataset read. */

interface CheckFlags extends DatasetFlags {
  reference: string
  schema?: string
  alpha: number
  failOn?: Severity
  out?: string
  html?: string
  seed: number
  permutations: number
  mmdRows: number
  mmd: boolean
  perSource: boolean
  quiet?: boolean
}

const examples = `
Examples:
  $ poisonguard check batch.csv --reference trusted.csv --fail-on high
  $ poisonguard check new.jsonl --reference trusted.jsonl --schema schema.json --html check.html
  $ poisonguard check batch.parquet --reference trusted.parquet --alpha 0.001 --no-mmd

${exitCodesLine({ findingsAtFailOn: 'a finding at or above --fail-on' })}`

function parseAlpha(value: string): number {
  const alpha = Number(value)
  if (!(alpha > 0 && alpha < 1))
    throw new InvalidArgumentError('expected a number between 0 and 1, e.g. 0.01')
  return alpha
}

/** Reads and validates a schema file; a missing file or a broken rule is a user error with its location. */
export async function readSchemaFile(path: string): Promise<DatasetSchema> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw PoisonguardError.at(
      'FILE_NOT_FOUND',
      { file: path },
      `cannot read the schema: ${(error as Error).message}`,
      'write one with `poisonguard schema infer <trusted> --out schema.json`',
    )
  }
  // Loaded only when a schema is given: the validator is a large part of the command's start-up.
  const { parseSchema } = await import('../drift/schema.js')
  return parseSchema(text, path)
}

function describeResult(report: CheckReport, flags: CheckFlags): string {
  const { summary, batch, reference } = report
  const lines = [
    `Checked ${batch.path} (${batch.rows} rows) against ${reference.path} (${reference.rows} rows): ` +
      `${summary.tests} tests, ${summary.significantTests} significant at α = ${flags.alpha} (Benjamini–Hochberg).`,
  ]
  for (const finding of report.findings.slice(0, 10))
    lines.push(`  ${finding.severity.padEnd(6)} ${finding.kind.padEnd(6)} ${finding.explanation}`)
  if (report.findings.length > 10) lines.push(`  … and ${report.findings.length - 10} more findings`)
  if (summary.schemaRows > 0) lines.push(`${summary.schemaRows} batch rows break the schema.`)
  if (report.findings.length === 0) lines.push('No drift, and the batch follows the schema.')
  for (const warning of batch.warnings) lines.push(`warning: batch: ${warning}`)
  lines.push(reportLine([flags.out, flags.html]))
  return `${lines.join('\n')}\n`
}

/** `poisonguard check <batch> --reference <trusted>`: schema findings and drift tests, exit 3 with --fail-on. */
export function registerCheckCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('check')
    .description('check a new batch against a trusted reference: schema rules and distribution drift')
    .argument('<batch>', 'the new data: .csv, .jsonl, .parquet, or a folder of images root/<label>/<file>')
    .requiredOption('--reference <trusted>', 'trusted data to compare with, read with the same column flags')
    .option('--schema <file>', 'rules for the batch (default: inferred from the reference)')
    .option('--alpha <level>', 'false-discovery rate over all tests (Benjamini–Hochberg)', parseAlpha, 0.01)
    .addOption(
      new Option('--fail-on <severity>', 'exit 3 when a finding reaches this severity').choices(
        severityOrder,
      ),
    )
    .option('--out <file>', 'write the JSON report (without it, only the summary is printed)')
    .option('--html <file>', 'also write a self-contained HTML report')
    .option('--seed <n>', 'seed for sampling and permutations', parseInteger, 0)
    .option('--permutations <n>', 'permutations of the MMD and token tests', parsePositiveInteger, 200)
    .option(
      '--mmd-rows <n>',
      'rows sampled per side for the MMD test',
      parsePositiveInteger,
      DEFAULT_MMD_ROWS_PER_SIDE,
    )
    .option('--no-mmd', 'skip the multivariate MMD test')
    .option('--no-per-source', 'do not repeat the tests for each source')
    .option('-q, --quiet', 'no progress bars')
  addDatasetOptions(command, { embeddings: false })
    .addHelpText('after', examples)
    .action(async (batchPath: string, flags: CheckFlags) => {
      const report = await runCheck(batchPath, flags, io)
      io.stdout(describeResult(report, flags))
      setExitCode(exitCodeForFindings([report.summary.worstSeverity], flags.failOn))
    })
}

/** Loads both datasets, checks, and writes the JSON (and HTML) report, all or nothing. */
async function runCheck(batchPath: string, flags: CheckFlags, io: CliIo): Promise<CheckReport> {
  const progress = createProgressReporter(io, flags.quiet ?? false)
  try {
    const schema = flags.schema ? await readSchemaFile(flags.schema) : undefined
    progress.update('loading', 0)
    const report = await checkFiles(batchPath, flags.reference, {
      load: loadOptions(flags),
      schema,
      schemaPath: flags.schema,
      alpha: flags.alpha,
      seed: flags.seed,
      permutations: flags.permutations,
      mmd: flags.mmd,
      mmdMaxRowsPerSide: flags.mmdRows,
      perSource: flags.perSource,
      idColumn: flags.id,
      sourceColumn: flags.source,
      onProgress: (fraction) => progress.update('drift tests', fraction),
    })
    progress.stop()
    const outputs: OutputFile[] = []
    if (flags.out) outputs.push({ path: flags.out, flag: '--out', contents: jsonWriter.render(report, {}) })
    if (flags.html) {
      // The page renderer is loaded only when a page is asked for.
      const { renderCheckHtml } = await import('../drift/html.js')
      outputs.push({ path: flags.html, flag: '--html', contents: renderCheckHtml(report) })
    }
    await writeOutputsAtomically(outputs, { inputs: [batchPath, flags.reference, flags.schema] })
    return report
  } finally {
    progress.stop()
  }
}
