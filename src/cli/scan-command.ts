import { type Command, InvalidArgumentError, Option } from 'commander'
import { parseDetectorNames } from '../detectors/registry.js'
import { type ScanReport, type Severity, severityOrder } from '../domain/index.js'
import { PoisonguardError } from '../errors.js'
import { type NeighbourMethod, neighbourMethods } from '../linalg/ann/search.js'
import { verdictLines } from '../scan/verdict.js'
import { exitCodeForScan } from '../workflows/exit-codes.js'
import { type ScanFileOptions, type ScanFileResult, scanFile } from '../workflows/scan-file.js'
import { type WrittenScanOutputs, writeScanOutputs } from '../workflows/scan-outputs.js'
import { addDatasetOptions, type DatasetFlags, loadOptions } from './dataset-options.js'
import { exitCodesLine } from './exit-code-help.js'
import type { CliIo } from './io.js'
import {
  collectDetectorParam,
  EXCEL_SAFE_HELP,
  parseInteger,
  parseList,
  parsePositiveInteger,
  parseShare,
} from './options.js'
import { createProgressReporter } from './progress.js'
import { reportLine } from './report-line.js'

interface ScanFlags extends DatasetFlags {
  out?: string
  html?: string
  sarif?: string
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
  predProbs?: string
  annotations?: string
  excelSafe?: boolean
  maxRows?: number
  neighbours?: NeighbourMethod
  approximateFrom?: number
  workers?: string
  detectorJobs?: boolean
  classJobs?: boolean
  store: string
  jobRows?: number
  lease?: number
  queuePrefix: string
  maxMemory?: number
  tempDir?: string
}

const sizeUnits: Record<string, number> = { '': 2 ** 20, m: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gib: 2 ** 30 }

/** A `--max-memory` size in bytes: `512`, `512MiB` (mebibytes) or `4GiB`; a bare number is mebibytes. */
export function parseMemorySize(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
  const unit = match && sizeUnits[match[2].toLowerCase()]
  const bytes = match && unit ? Math.floor(Number(match[1]) * unit) : 0
  if (bytes <= 0)
    throw new InvalidArgumentError('expected a size such as 512MiB or 4GiB (a bare number is MiB)')
  return bytes
}

const mebibytes = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`

/** The scan store a coordinator and its workers use when no --store is given. */
const defaultScanStore = 'postgres://127.0.0.1:5432/poisonguard'

const examples = `
Examples:
  $ poisonguard scan mnist.csv --html report.html
  $ poisonguard scan train.jsonl --text body --label category --fail-on high
  $ poisonguard scan data.csv --export-clean clean.csv --detectors label-issues
  $ poisonguard scan data.csv --relabel relabelled.csv
  $ poisonguard scan images/ --image-size 32 --out images-report.json
  $ poisonguard scan data.csv --annotations answers.csv --relabel relabelled.csv
  $ poisonguard scan big.csv --workers redis://cache:6379 --store postgres://pg@db/poisonguard
      (with \`poisonguard worker --queue redis://cache:6379 --scan-store postgres://pg@db/poisonguard\`
       running on as many machines as you like; same report as without --workers)

  $ poisonguard scan data.csv --manifest data.manifest.json --pub key.pub.pem --require-signed \\
      --export-clean clean.csv --drop-sources-above 0.2

${exitCodesLine({ findingsAtFailOn: 'a record at or above --fail-on', verificationFailed: 'the data does not match --manifest' })}`

function describeResult(report: ScanReport, flags: ScanFlags, written: WrittenScanOutputs): string {
  const { summary, dataset } = report
  const share = dataset.rows > 0 ? ((100 * summary.flagged) / dataset.rows).toFixed(1) : '0.0'
  const lines = [
    ...verdictLines(report),
    `Scanned ${dataset.rows} records: ${summary.flagged} flagged (${share}%) — ` +
      `${summary.bySeverity.high} high, ${summary.bySeverity.medium} medium, ${summary.bySeverity.low} low.`,
  ]
  for (const detector of report.detectors) {
    const candidates = detector.candidates === undefined ? '' : ` of ${detector.candidates} it marked`
    const detail =
      detector.status === 'ok'
        ? `${detector.flagged} flagged${candidates}, ${detector.durationMs} ms`
        : detector.reason
    lines.push(`  ${detector.id}: ${detector.status} (${detail})`)
  }
  const memory = report.analyses?.memory
  if (memory) {
    const what = memory.spilled.map((spilled) => spilled.what).join(', ')
    lines.push(
      `Spilled ${mebibytes(memory.spilledBytes)} to a temporary file past --max-memory ${mebibytes(memory.maxBytes)}: ${what}.`,
    )
  }
  for (const warning of dataset.warnings) lines.push(`warning: ${warning}`)
  lines.push(reportLine([flags.out, flags.html, flags.sarif]))
  if (flags.exportClean) lines.push(`Clean copy without flagged records: ${flags.exportClean}`)
  if (written.relabelled) {
    const { changed, dropped, formulaLabels } = written.relabelled
    lines.push(`Relabelled copy (${changed} labels changed, ${dropped} records dropped): ${flags.relabel}`)
    if (formulaLabels > 0)
      lines.push(
        `warning: ${formulaLabels} suggested labels would run as spreadsheet formulas; those records were dropped, not relabelled`,
      )
  }
  return `${lines.join('\n')}\n`
}

/** Runs the scan with its heavy work on `poisonguard worker` processes and says on stderr who did what. */
async function scanOnWorkers(
  input: string,
  options: ScanFileOptions,
  flags: ScanFlags,
  io: CliIo,
): Promise<ScanFileResult> {
  // The coordinator must take its jobs off the queue and its data out of the store when stopped, which needs the
  // event loop: the first SIGINT or SIGTERM aborts the scan; a second one ends the process as usual.
  // Loaded only here: the queue and store clients cost a third of a second of CPU that a local scan never needs.
  const { scanFileOnWorkers, summariseJobs } = await import('../distributed/scan-file.js')
  const { describeReaped } = await import('../distributed/reap.js')
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const result = await scanFileOnWorkers(input, {
    ...options,
    signal: controller.signal,
    distributed: {
      workers: flags.workers!,
      store: flags.store,
      prefix: flags.queuePrefix,
      jobRows: flags.jobRows,
      leaseMs: flags.lease,
      detectorJobs: flags.detectorJobs,
      classJobs: flags.classJobs,
    },
    onWaiting: (message) => io.stderr(`${message}\n`),
  }).finally(() => {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  })
  if (result.reaped.length > 0) io.stderr(`${describeReaped(result.reaped)}\n`)
  const split = summariseJobs(result.jobs)
  const workers = Object.entries(split.byWorker)
    .map(
      ([worker, done]) =>
        `${worker}: ${done.features} feature, ${done.knn} neighbour, ${done.ivf} list-range, ${done.fold} fold, ${done.class} class, ${done.detector} detector`,
    )
    .join('; ')
  io.stderr(
    `${split.jobs} jobs on ${Object.keys(split.byWorker).length} workers (${split.retried} retried)${workers ? ` — ${workers}` : ''}\n`,
  )
  return result
}

export function registerScanCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const command = program
    .command('scan')
    .description('audit a dataset for poisoned and mislabelled records')
    .argument('<input>', 'dataset: .csv, .jsonl, .parquet, or a folder of images root/<label>/<file>')
    .option(
      '--out <file>',
      'write the JSON report, one entry per record (without it, only the summary is printed)',
    )
    .option('--html <file>', 'also write a self-contained HTML report')
    .option('--sarif <file>', 'also write SARIF 2.1.0 for code-scanning UIs (one result per flagged record)')
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
    .option('--param <detector.name=value>', 'detector parameter, repeatable', collectDetectorParam)
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
    .option(
      '--pred-probs <file.npy>',
      'out-of-fold class probabilities of your own model (rows × classes, float32); the label detectors use them',
    )
    .option(
      '--annotations <file>',
      'crowd answers about the records (item = id, annotator, label): flag labels the crowd disputes',
    )
    .option('--excel-safe', EXCEL_SAFE_HELP)
    .option(
      '--max-rows <n>',
      'scan a seeded random sample of at most n records, for a quick first look',
      parsePositiveInteger,
    )
    .addOption(
      new Option(
        '--neighbours <method>',
        'neighbour search: exact, approximate (an inverted-file index), or auto by size',
      )
        .choices(neighbourMethods)
        .default('auto'),
    )
    .option(
      '--approximate-from <rows>',
      'row count from which auto neighbour search turns approximate (default 20000)',
      parsePositiveInteger,
    )
    .option(
      '--workers <url>',
      'redis://… queue: run the neighbour searches and model folds as jobs on `poisonguard worker` processes',
    )
    .option(
      '--detector-jobs',
      'with --workers: run the detectors as jobs on the workers too (less CPU here, more in all: docs/scale.md)',
    )
    .option(
      '--class-jobs',
      "with --workers: measure the class spectra as jobs of one class each, each sent that class's row numbers (less CPU here for wide features, more in all: docs/scale.md)",
    )
    .option(
      '--store <url>',
      "with --workers: postgres://… where the jobs' data, states and results are kept",
      defaultScanStore,
    )
    .option(
      '--queue-prefix <prefix>',
      "with --workers: BullMQ key prefix, the same as the workers'",
      'poisonguard',
    )
    .option(
      '--job-rows <n>',
      'with --workers: query rows per neighbour job (default by size)',
      parsePositiveInteger,
    )
    .option(
      '--lease <ms>',
      'with --workers: how long the run outlives its coordinator (killed, cut off) before workers remove it (default 600000)',
      parsePositiveInteger,
    )
    .option(
      '--max-memory <size>',
      "memory budget for the scan's large arrays, e.g. 2GiB or 512MiB; past it the neighbour graph, and the model's input once trained on, spill to a temporary file (default: half of this machine's memory)",
      parseMemorySize,
    )
    .option(
      '--temp-dir <folder>',
      'folder for the temporary file of --max-memory (default: the system temp folder)',
    )
    .option('-q, --quiet', 'no progress bars')
  addDatasetOptions(command, { content: true })
    .addHelpText('after', examples)
    .action(async (input: string, flags: ScanFlags) => {
      if (flags.maxRows !== undefined && (flags.exportClean || flags.relabel))
        throw new PoisonguardError(
          'INVALID_ARGUMENT',
          '--max-rows scans a sample, so it cannot write --export-clean or --relabel copies of the whole input',
          { hint: 'drop --max-rows to write cleaned copies' },
        )
      const progress = createProgressReporter(io, flags.quiet ?? false)
      try {
        const options: ScanFileOptions = {
          load: loadOptions(flags),
          manifest: flags.manifest
            ? { path: flags.manifest, publicKeyPath: flags.pub, requireSigned: flags.requireSigned }
            : undefined,
          detectors: flags.detectors && parseDetectorNames(flags.detectors),
          skip: flags.skip && parseDetectorNames(flags.skip),
          params: flags.param,
          seed: flags.seed,
          fdr: flags.fdr,
          predProbs: flags.predProbs,
          annotations: flags.annotations ? { path: flags.annotations } : undefined,
          maxRows: flags.maxRows,
          neighbourSearch: { method: flags.neighbours, approximateFrom: flags.approximateFrom },
          maxMemoryBytes: flags.maxMemory,
          tempDir: flags.tempDir,
          onProgress: ({ step, fractionDone }) => progress.update(step, fractionDone),
        }
        const result = flags.workers
          ? await scanOnWorkers(input, options, flags, io)
          : await scanFile(input, options)
        progress.stop()
        // The manifest's code (and its schema) loads only for a scan that checked one.
        const describe = () => import('../provenance/describe.js')
        if (result.status === 'verification-failed') {
          io.stderr((await describe()).describeVerification(result.verification))
        } else {
          if (result.provenance) io.stderr((await describe()).describeUnverifiedSignature(result.provenance))
          const written = await writeScanOutputs(result.dataset, result.report, {
            report: flags.out,
            html: flags.html,
            sarif: flags.sarif,
            exportClean: flags.exportClean,
            relabel: flags.relabel,
            dropSourcesAbove: flags.dropSourcesAbove,
            inputs: [flags.embeddings, flags.manifest, flags.pub, flags.predProbs, flags.annotations],
            excelSafe: flags.excelSafe,
          })
          io.stdout(describeResult(result.report, flags, written))
        }
        setExitCode(exitCodeForScan(result, flags.failOn))
      } finally {
        progress.stop()
      }
    })
}
