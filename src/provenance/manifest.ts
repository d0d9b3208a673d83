import type { KeyObject } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { basename, dirname, relative, sep } from 'node:path'
import type { RawRecordFormat } from '../io/records.js'
import { writeOutputsAtomically } from '../io/transaction.js'
import { progressCheckingAbort, throwIfAborted } from '../util/abort.js'
import { fractionDetail, type ProgressOptions, progressReporter } from '../util/progress.js'
import { version } from '../version.js'
import { RECORD_ENCODING } from './canonical.js'
import { type DatasetDigest, type DigestOptions, digestDataset, type RoleOptions } from './dataset-digest.js'
import { createEnvelope, IN_TOTO_PAYLOAD_TYPE } from './dsse.js'
import { keyIdOf, readPrivateKey } from './keys.js'
import { readManifestFile } from './manifest-file.js'
import { sidecarPathFor } from './sidecar.js'
import { SidecarWriter } from './sidecar-writer.js'
import {
  MANIFEST_PREDICATE_TYPE,
  type ManifestPredicate,
  type ManifestStatement,
  STATEMENT_TYPE,
  serializeStatement,
} from './statement.js'

/** How to create a manifest; the role columns follow the `id`/`label`/`source` conventions when unset. */
export interface CreateManifestOptions
  extends RoleOptions,
    ProgressOptions,
    Pick<DigestOptions, 'threads' | 'workerUrl' | 'parallelFromBytes'> {
  /** Where to write the manifest (a DSSE envelope); the record digest sidecar goes beside it. */
  out: string
  /** Ed25519 private key PEM (mode 0600); without a key (or `privateKey`) the envelope is unsigned. */
  privateKeyPath?: string
  privateKey?: KeyObject
  format?: RawRecordFormat
  /** Manifests of the datasets this one was derived from. */
  parents?: readonly string[]
  /** What produced this dataset, e.g. `dedupe v2`, with its parameters. */
  transform?: { command?: string | null; parameters?: Readonly<Record<string, string>> }
  /** Default: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now. */
  createdAt?: Date
  maxLineBytes?: number
  onProgress?: (fractionDone: number) => void
  /** Checked between chunks of the dataset; an abort fails with the typed `ABORTED` error and writes nothing. */
  signal?: AbortSignal
}

/** What `createManifest` wrote. */
export interface CreatedManifest {
  manifestPath: string
  sidecarPath: string
  statement: ManifestStatement
  /** Id of the signing key, absent when unsigned. */
  keyId?: string
  /** Threads the dataset was read on (see `DatasetDigest.threads`). */
  threads: number
}

/**
 * Streams a dataset once and writes a signed in-toto manifest of it (DSSE envelope) plus the per-record digest
 * sidecar; both appear together or not at all.
 */
export async function createManifest(
  datasetPath: string,
  options: CreateManifestOptions,
): Promise<CreatedManifest> {
  throwIfAborted(options.signal, during)
  const privateKey =
    options.privateKey ?? (options.privateKeyPath ? await readPrivateKey(options.privateKeyPath) : undefined)
  const parents = await describeParents(options.parents ?? [], options.out)
  const sidecarPath = sidecarPathFor(options.out)
  const digestOptions = { ...options, onProgress: progressReporter(options, fractionDetail) }
  let statement: ManifestStatement | undefined
  let threads = 1
  const writeSidecar = async (temporaryPath: string) => {
    const digested = await digestWithSidecar(
      datasetPath,
      temporaryPath,
      basename(sidecarPath),
      parents,
      digestOptions,
    )
    statement = digested.statement
    threads = digested.threads
  }
  const writeEnvelope = async (temporaryPath: string) => {
    const envelope = createEnvelope(IN_TOTO_PAYLOAD_TYPE, serializeStatement(statement!), privateKey)
    await writeFile(temporaryPath, `${JSON.stringify(envelope, null, 2)}\n`)
  }
  await writeOutputsAtomically(
    [
      { path: sidecarPath, write: writeSidecar },
      { path: options.out, write: writeEnvelope },
    ],
    { inputs: [datasetPath, options.privateKeyPath, ...(options.parents ?? [])] },
  )
  return {
    manifestPath: options.out,
    sidecarPath,
    statement: statement!,
    keyId: privateKey ? keyIdOf(privateKey) : undefined,
    threads,
  }
}

const during = 'creating the manifest'

/** Streams the dataset once, writing the record digest sidecar at `sidecarTemporary` as it goes. */
async function digestWithSidecar(
  datasetPath: string,
  sidecarTemporary: string,
  sidecarName: string,
  parents: ManifestPredicate['parents'],
  options: CreateManifestOptions,
): Promise<{ statement: ManifestStatement; threads: number }> {
  const writer = new SidecarWriter(sidecarTemporary)
  let digest: DatasetDigest
  try {
    digest = await digestDataset(datasetPath, {
      ...options,
      uniqueIds: true,
      sidecar: writer,
      onProgress: progressCheckingAbort(options.signal, during, options.onProgress),
    })
  } catch (error) {
    writer.abort()
    throw error
  }
  const sidecar = writer.finish()
  const statement = buildStatement(digest, {
    sidecar: { name: sidecarName, digest: { sha256: sidecar.sha256 }, byteCount: sidecar.byteCount },
    parents,
    transform: options.transform,
    createdAt: options.createdAt ?? defaultTime(),
  })
  return { statement, threads: digest.threads }
}

interface StatementParts {
  sidecar: ManifestPredicate['records']['digests']
  parents: ManifestPredicate['parents']
  transform?: CreateManifestOptions['transform']
  createdAt: Date
}

/** The in-toto statement for a digested dataset; key order is fixed so equal inputs give equal bytes. */
export function buildStatement(digest: DatasetDigest, parts: StatementParts): ManifestStatement {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: basename(digest.path), digest: { sha256: digest.sha256 } }],
    predicateType: MANIFEST_PREDICATE_TYPE,
    predicate: {
      dataset: { format: digest.format, byteCount: digest.byteCount, ...digest.roles },
      records: {
        count: digest.recordCount,
        merkleRoot: digest.merkleRoot,
        order: 'input',
        encoding: RECORD_ENCODING,
        digests: parts.sidecar,
      },
      schema: digest.schema,
      labels: digest.labels,
      sources: digest.sources,
      parents: parts.parents,
      transform: {
        tool: 'poisonguard',
        version,
        command: parts.transform?.command ?? null,
        parameters: sortedParameters(parts.transform?.parameters ?? {}),
      },
      createdAt: parts.createdAt.toISOString(),
    },
  }
}

function sortedParameters(parameters: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(parameters)
      .sort()
      .map((key) => [key, parameters[key]]),
  )
}

/** Parent manifests by digest, named by their path relative to the new manifest's folder. */
async function describeParents(paths: readonly string[], out: string): Promise<ManifestPredicate['parents']> {
  const parents: ManifestPredicate['parents'] = []
  for (const path of paths) {
    const parent = await readManifestFile(path)
    const name = relative(dirname(out), path).split(sep).join('/')
    parents.push({ name, digest: { sha256: parent.sha256 }, subject: parent.statement.subject })
  }
  return parents
}

/** `SOURCE_DATE_EPOCH` when set (reproducible builds), else now. */
export function defaultTime(): Date {
  const epoch = process.env.SOURCE_DATE_EPOCH
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000)
  return new Date()
}
