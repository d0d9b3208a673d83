import { basename, dirname, extname, join } from 'node:path'
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { RawRecordFormat } from '../io/records.js'
import { diffProvenance } from '../provenance/compare.js'
import type { RoleOptions } from '../provenance/dataset-digest.js'
import { describeDiff, describeVerification, verificationJson } from '../provenance/describe.js'
import { createManifest } from '../provenance/manifest.js'
import { verifyDatasetAgainstManifest } from '../provenance/verify.js'
import { exitCodeForVerification } from '../workflows/exit-codes.js'
import { exitCodesLine } from './exit-code-help.js'
import type { CliIo } from './io.js'
import { parsePositiveInteger } from './options.js'
import { createProgressReporter } from './progress.js'

interface RoleFlags {
  format?: RawRecordFormat
  id?: string
  label?: string | false
  sourceColumn?: string
  source?: string
}

interface CreateFlags extends RoleFlags {
  out?: string
  key?: string
  parent?: string[]
  transform?: string
  param?: Record<string, string>
  json?: boolean
  quiet?: boolean
}

function addRoleOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--format <format>', 'input format (default: from the extension)').choices([
        'csv',
        'jsonl',
        'parquet',
      ]),
    )
    .option('--id <column>', 'column with record ids (default: "id", else the record number)')
    .option('--label <column>', 'column with class labels (default: "label")')
    .option('--no-label', 'treat no column as the label')
    .addOption(
      new Option(
        '--source-column <column>',
        'column naming each record\'s source (default: "source")',
      ).conflicts('source'),
    )
    .option('--source <name>', 'one source for every record, e.g. "vendor-x"')
}

function rolesFromFlags(flags: RoleFlags): RoleOptions & { format?: RawRecordFormat } {
  const roles: RoleOptions & { format?: RawRecordFormat } = { format: flags.format }
  if (flags.id !== undefined) roles.id = flags.id
  if (flags.label === false) roles.label = null
  else if (flags.label !== undefined) roles.label = flags.label
  if (flags.sourceColumn !== undefined) roles.sourceColumn = flags.sourceColumn
  if (flags.source !== undefined) roles.source = flags.source
  return roles
}

function collectKeyValue(entry: string, collected: Record<string, string> = {}): Record<string, string> {
  const match = /^([^=]+)=(.*)$/s.exec(entry)
  if (!match) throw new InvalidArgumentError('expected key=value, e.g. threshold=0.9')
  return { ...collected, [match[1].trim()]: match[2] }
}

function collectList(entry: string, collected: string[] = []): string[] {
  return [...collected, entry]
}

/** `data/train.csv` → `data/train.manifest.json`. */
function defaultManifestPath(datasetPath: string): string {
  const name = basename(datasetPath, extname(datasetPath))
  return join(dirname(datasetPath), `${name}.manifest.json`)
}

const createExamples = `
Examples:
  $ poisonguard manifest create train.csv --key mykey.pem --out train.manifest.json
  $ poisonguard manifest create vendor.jsonl --source "vendor-x" --key mykey.pem
  $ poisonguard manifest create deduped.csv --parent train.manifest.json --transform "dedupe v2" --param k=5 --key mykey.pem`

function registerCreate(manifest: Command, io: CliIo): void {
  const command = manifest
    .command('create')
    .description(
      'record a signed manifest of a dataset: file digest, per-record digests, Merkle roots, sources, lineage',
    )
    .argument('<dataset>', 'CSV, JSON Lines or Parquet file')
    .option('--out <file>', 'manifest to write (default: <dataset>.manifest.json beside the dataset)')
    .option(
      '--key <file>',
      'Ed25519 private key PEM from `poisonguard keygen` (mode 0600); unsigned without it',
    )
    .option(
      '--parent <manifest>',
      'manifest of a dataset this one was derived from (repeatable)',
      collectList,
    )
    .option('--transform <description>', 'what produced this dataset, e.g. "dedupe v2"')
    .option('--param <key=value>', 'a parameter of the transform (repeatable)', collectKeyValue)
    .option('--json', 'print the statement as JSON')
    .option('--quiet', 'no progress bar')
    .addHelpText('after', createExamples)
  addRoleOptions(command).action(async (dataset: string, flags: CreateFlags) => {
    const progress = createProgressReporter(io, flags.quiet ?? false)
    try {
      const created = await createManifest(dataset, {
        ...rolesFromFlags(flags),
        out: flags.out ?? defaultManifestPath(dataset),
        privateKeyPath: flags.key,
        parents: flags.parent,
        transform: { command: flags.transform ?? null, parameters: flags.param ?? {} },
        onProgress: (fraction) => progress.update('hashing records', fraction),
      })
      progress.stop()
      if (flags.json) {
        io.stdout(`${JSON.stringify(created.statement, null, 2)}\n`)
        return
      }
      const { records } = created.statement.predicate
      const signed = created.keyId ? `signed with key id ${created.keyId}` : 'UNSIGNED (pass --key to sign)'
      io.stdout(
        `Wrote ${created.manifestPath} and ${created.sidecarPath}\n  ${records.count} records, Merkle root ${records.merkleRoot}\n  ${signed}\n`,
      )
    } finally {
      progress.stop()
    }
  })
}

interface VerifyFlags {
  pub?: string
  requireSigned?: boolean
  json?: boolean
  quiet?: boolean
}

function registerVerify(manifest: Command, io: CliIo, setExitCode: (code: number) => void): void {
  manifest
    .command('verify')
    .description('check a dataset against its manifest: signature, file digest and every record')
    .argument('<dataset>', 'the dataset file')
    .argument('<manifest>', 'its manifest')
    .option('--pub <file>', 'public key PEM to check the signature with')
    .option('--require-signed', 'fail when the manifest is unsigned or no --pub is given')
    .option('--json', 'print the result as JSON')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  $ poisonguard manifest verify train.csv train.manifest.json --pub mykey.pub.pem
  $ poisonguard manifest verify train.csv train.manifest.json --pub mykey.pub.pem --json

${exitCodesLine({ ok: 'verified', verificationFailed: 'verification failed' })}`,
    )
    .action(async (dataset: string, manifestPath: string, flags: VerifyFlags) => {
      const progress = createProgressReporter(io, flags.quiet ?? false)
      const result = await verifyDatasetAgainstManifest(dataset, manifestPath, {
        publicKeyPath: flags.pub,
        requireSigned: flags.requireSigned,
        collectSources: false,
        onProgress: (fraction) => progress.update('verifying records', fraction),
      }).finally(() => progress.stop())
      io.stdout(
        flags.json ? `${JSON.stringify(verificationJson(result), null, 2)}\n` : describeVerification(result),
      )
      if (!result.ok) {
        const checks = [...new Set(result.failures.map((failure) => failure.check))].join(', ')
        io.stderr(`verification failed: ${checks}\n`)
      }
      setExitCode(exitCodeForVerification(result.ok))
    })
}

interface DiffFlags extends RoleFlags {
  json?: boolean
  limit: number
}

function registerDiff(manifest: Command, io: CliIo): void {
  const command = manifest
    .command('diff')
    .description(
      'record-level diff of two dataset versions, grouped by source; label-only changes singled out',
    )
    .argument('<old>', 'old manifest (.json) or dataset')
    .argument('<new>', 'new manifest (.json) or dataset')
    .option('--json', 'print the diff as JSON')
    .option('--limit <records>', 'records listed per source and kind', parsePositiveInteger, 20)
    .addHelpText(
      'after',
      `
Examples:
  $ poisonguard manifest diff v1.manifest.json v2.manifest.json
  $ poisonguard manifest diff v1.manifest.json incoming.csv --json`,
    )
  addRoleOptions(command).action(async (oldPath: string, newPath: string, flags: DiffFlags) => {
    const result = await diffProvenance(oldPath, newPath, rolesFromFlags(flags))
    io.stdout(flags.json ? `${JSON.stringify(result, null, 2)}\n` : describeDiff(result, flags.limit))
  })
}

/** Registers `manifest create|verify|diff`. */
export function registerManifestCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  const manifest = program
    .command('manifest')
    .description('signed record-level manifests of datasets: create, verify, diff')
    .addHelpText(
      'after',
      `
Examples:
  $ poisonguard keygen --out mykey
  $ poisonguard manifest create train.csv --key mykey.pem --out train.manifest.json
  $ poisonguard manifest verify train.csv train.manifest.json --pub mykey.pub.pem
  $ poisonguard manifest diff train.manifest.json new-train.csv`,
    )
  registerCreate(manifest, io)
  registerVerify(manifest, io, setExitCode)
  registerDiff(manifest, io)
}
