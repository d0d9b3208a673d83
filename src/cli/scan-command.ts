import { type Command, Option } from 'commander'
import type { Dataset } from '../data/dataset.js'
import { matrixRow } from '../data/matrix.js'
import { type RecordReport, type ScanReport, type Severity, severityOrder } from '../domain/index.js'
import { writeFilteredDataset } from '../io/index.js'
import { type OutputFile, writeOutputsAtomically } from '../io/transaction.js'
import { withAttestedSources } from '../provenance/attach.js'
import { describeVerification } from '../provenance/describe.js'
import { verifyDatasetAgainstManifest } from '../provenance/verify.js'
import { encodeGrayscalePng, renderHtmlReport } from '../report/html.js'
import { type CleanOptions, cleanKeepMask, sourcesFlaggedAbove } from '../scan/clean.js'
import { scan } from '../scan/index.js'
import { verdictLines } from '../scan/verdict.js'
import { addDatasetOptions, type DatasetFlags, loadWithFlags } from './dataset-options.js'
import type { CliIo } from './io.js'
import { collectParam, parseInteger, parseList, parseShare } from './options.js'
import { createProgressReporter } from './progress.js'

interface ScanFlags extends DatasetFlags {
  out: string
  html?: string
  exportClean?: string
  relabel?: string
  failOn?: Severity
  detectors?: string[]
  skip?: string[]
  param?: Record<string, Record<string, unknown>>
  seed: number
  quiet?: boolean
  manifest?: string
  pub?: string
  requireSigned?: boolean
  dropSourcesAbove?: number
  fdr?: number
}

/** Exit code of a dataset that does not match its manifest (PRODUCT.md). */
const verificationFailedExitCode = 4

const examples = `
Examples:
  $ poisonguard scan mnist.csv --html report.html
  $ poisonguard scan train.jsonl --text body --label category --fail-on high
  $ poisonguard scan data.csv --export-clean clean.csv --detectors label-issues
  $ poisonguard scan data.csv --relabel relabelled.csv
  $ poisonguard scan images/ --image-size 32 --out images-report.json

  $ poisonguard scan data.csv --manifest data.manifest.json --pub key.pub.pem --require-signed \\
      --export-clean clean.csv --drop-sources-above 0.2

Exit codes: 0 done, 1 bad input or usage, 3 a record at or above --fail-on, 4 the data does not match --manifest.`

function htmlExtras(dataset: Dataset, report: ScanReport) {
  const { features, imageShape, texts } = dataset
  return {
    flagThreshold: report.summary.operatingPoint.flagAbove,
    thumbnail:
      features && imageShape
        ? (row: number) =>
            encodeGrayscalePng(matrixRow(features, row), imageShape.width, imageShape.height, 2)
        : undefined,
    text: texts ? (row: number) => texts[row] : undefined,
  }
}

/** The label a flagged record should carry when all of its evidence is a label flip (score-weighted vote). */
function suggestedRelabel(record: RecordReport): string | undefined {
  if (record.findings.some((finding) => finding.kind !== 'label_issue')) return undefined
  const votes = new Map<string, number>()
  for (const { suggestedLabel, score } of record.findings) {
    if (suggestedLabel !== undefined && suggestedLabel !== record.label)
      votes.set(suggestedLabel, (votes.get(suggestedLabel) ?? 0) + score)
  }
  let best: string | undefined
  for (const [label, score] of votes) if (best === undefined || score > votes.get(best)!) best = label
  return best
}

/**
 * What `--relabel` writes: flagged records whose only evidence is a label flip stay, under the suggested label;
 * every other flagged record (backdoor, flood, …) and every record of a quarantined source is dropped.
 */
export function relabelPlan(report: ScanReport, options: CleanOptions = {}) {
  const keep = cleanKeepMask(report, options)
  const quarantined =
    options.dropSourcesAbove === undefined
      ? new Set<string>()
      : sourcesFlaggedAbove(report, options.dropSourcesAbove)
  const relabel = new Map<number, string>()
  report.records.forEach((record, row) => {
    if (!record.flagged || (record.source !== undefined && quarantined.has(record.source))) return
    const label = suggestedRelabel(record)
    if (label === undefined) return
    keep[row] = 1
    relabel.set(row, label)
  })
  return { keep, relabel }
}

function plannedOutputs(dataset: Dataset, report: ScanReport, flags: ScanFlags): OutputFile[] {
  const outputs: OutputFile[] = [{ path: flags.out, contents: `${JSON.stringify(report, null, 1)}\n` }]
  if (flags.html)
    outputs.push({ path: flags.html, contents: renderHtmlReport(report, htmlExtras(dataset, report)) })
  if (flags.exportClean) {
    const keep = cleanKeepMask(report, { dropSourcesAbove: flags.dropSourcesAbove })
    outputs.push({ path: flags.exportClean, write: (path) => writeFilteredDataset(dataset, keep, path) })
  }
  if (flags.relabel) {
    const { keep, relabel } = relabelPlan(report, { dropSourcesAbove: flags.dropSourcesAbove })
    outputs.push({
      path: flags.relabel,
      write: (path) => writeFilteredDataset(dataset, keep, path, { relabel }),
    })
  }
  return outputs
}

/** Exit code 3 when any record reaches the --fail-on severity. */
function exitCodeFor(report: ScanReport, failOn: Severity | undefined): number {
  if (!failOn) return 0
  const threshold = severityOrder.indexOf(failOn)
  const reached = report.records.some(
    (record) => record.severity && severityOrder.indexOf(record.severity) >= threshold,
  )
  return reached ? 3 : 0
}

function describeResult(report: ScanReport, flags: ScanFlags): string {
  const { summary, dataset } = report
  const share = dataset.rows > 0 ? ((100 * summary.flagged) / dataset.rows).toFixed(1) : '0.0'
  const lines = [
    ...verdictLines(report.summary),
    `Scanned ${dataset.rows} records: ${summary.flagged} flagged (${share}%) — ` +
      `${summary.bySeverity.high} high, ${summary.bySeverity.medium} medium, ${summary.bySeverity.low} low.`,
  ]
  for (const detector of report.detectors) {
    const detail =
      detector.status === 'ok' ? `${detector.flagged} flagged, ${detector.durationMs} ms` : detector.reason
    lines.push(`  ${detector.id}: ${detector.status} (${detail})`)
  }
  for (const warning of dataset.warnings) lines.push(`warning: ${warning}`)
  lines.push(`Report: ${flags.out}${flags.html ? `, ${flags.html}` : ''}`)
  if (flags.exportClean) lines.push(`Clean copy without flagged records: ${flags.exportClean}`)
  if (flags.relabel) {
    const { keep, relabel } = relabelPlan(report, { dropSourcesAbove: flags.dropSourcesAbove })
    const dropped = keep.reduce((sum, kept) => sum + (kept ? 0 : 1), 0)
    lines.push(
      `Relabelled copy (${relabel.size} labels changed, ${dropped} records dropped): ${flags.relabel}`,
    )
  }
  return `${lines.join('\n')}\n`
}

export function registerScanCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('scan')
    .description('audit a dataset for poisoned and mislabelled records')
    .argument('<input>', 'dataset: .csv, .jsonl, .parquet, or a folder of images root/<label>/<file>')
    .option('--out <file>', 'JSON report', 'poisonguard-report.json')
    .option('--html <file>', 'also write a self-contained HTML report')
    .option('--export-clean <file>', 'write the input minus flagged records, in the input format')
    .option(
      '--relabel <file>',
      'write the input with suggested labels applied to flagged label flips and other flagged records removed',
    )
    .addOption(
      new Option('--fail-on <severity>', 'exit 3 when a record reaches this severity').choices(severityOrder),
    )
    .option('--detectors <ids>', 'comma-separated detectors to run (default: all)', parseList)
    .option('--skip <ids>', 'comma-separated detectors not to run', parseList)
    .option('--param <detector.name=value>', 'detector parameter, repeatable', collectParam)
    .option('--seed <n>', 'seed for every random choice', parseInteger, 0)
    .option('--fdr <rate>', 'expected share of false alarms among flagged records (default 0.01)', parseShare)
    .option(
      '--manifest <file>',
      'verify the input against this signed manifest first and use its attested sources',
    )
    .option('--pub <file>', 'public key that must have signed --manifest')
    .option('--require-signed', 'refuse a --manifest whose signature was not checked')
    .option(
      '--drop-sources-above <share>',
      'with --export-clean or --relabel: also drop every record of a source whose flagged share exceeds this (0–1)',
      parseShare,
    )
    .option('-q, --quiet', 'no progress bars')
  addDatasetOptions(command)
    .addHelpText('after', examples)
    .action(async (input: string, flags: ScanFlags) => {
      const progress = createProgressReporter(io, flags.quiet ?? false)
      try {
        let dataset = await loadWithFlags(input, flags)
        if (flags.manifest) {
          const verification = await verifyDatasetAgainstManifest(input, flags.manifest, {
            publicKeyPath: flags.pub,
            requireSigned: flags.requireSigned,
          })
          if (!verification.ok) {
            io.stderr(describeVerification(verification))
            setExitCode(verificationFailedExitCode)
            return
          }
          dataset = withAttestedSources(dataset, verification)
        }
        const report = await scan(dataset, {
          detectors: flags.detectors,
          skip: flags.skip,
          params: flags.param,
          seed: flags.seed,
          fdr: flags.fdr,
          onProgress: ({ step, fractionDone }) => progress.update(step, fractionDone),
        })
        progress.stop()
        await writeOutputsAtomically(plannedOutputs(dataset, report, flags))
        io.stdout(describeResult(report, flags))
        setExitCode(exitCodeFor(report, flags.failOn))
      } finally {
        progress.stop()
      }
    })
}
