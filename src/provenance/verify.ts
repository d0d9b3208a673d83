import type { KeyObject } from 'node:crypto'
import { extname } from 'node:path'
import { isPoisonguardError } from '../errors.js'
import { statOrThrow } from '../io/files.js'
import { hashFile } from '../io/hash.js'
import { isAbortError, progressCheckingAbort, throwIfAborted } from '../util/abort.js'
import { fractionDetail, type ProgressOptions, progressReporter } from '../util/progress.js'
import { checkClaims, countsOfDigest } from './claims.js'
import { type DatasetDigest, type DigestOptions, digestDataset } from './dataset-digest.js'
import { isIdenticalDiff, type RecordDiff, RecordMatcher } from './diff.js'
import type { SignatureStatus } from './dsse.js'
import { readPublicKey } from './keys.js'
import { type ManifestFile, readManifestFile } from './manifest-file.js'
import { readSidecar } from './sidecar.js'
import type { ManifestPredicate } from './statement.js'
import {
  checkRecords,
  checkSidecarDigest,
  checkSignature,
  type VerificationFailure,
} from './verify-checks.js'

export type { VerificationFailure } from './verify-checks.js'

/** Options of `verifyDatasetAgainstManifest`. */
export interface VerifyOptions
  extends Pick<DigestOptions, 'threads' | 'workerUrl' | 'parallelFromBytes'>,
    ProgressOptions {
  /** Public key PEM to check the signature with (or `publicKey`). */
  publicKeyPath?: string
  publicKey?: KeyObject
  /** Fail when the manifest is unsigned or no key was given. */
  requireSigned?: boolean
  /** Fill `sourceById` and `sourcesInOrder` (default true; costs memory per record). */
  collectSources?: boolean
  maxLineBytes?: number
  onProgress?: (fractionDone: number) => void
  /** Checked between chunks of the dataset; an abort fails with the typed `ABORTED` error. */
  signal?: AbortSignal
}

/** The outcome of checking a dataset against its manifest: a verdict and exactly what failed. */
export interface DatasetVerification {
  verdict: 'verified' | 'failed'
  ok: boolean
  datasetPath: string
  manifestPath: string
  failures: VerificationFailure[]
  /** Things a reader should know that are not failures, e.g. that no signature was checked. */
  notes: string[]
  /** `unsigned` when the envelope has no signature; `unchecked` when it has one but no key was given. */
  signature: SignatureStatus | { status: 'unchecked' }
  /** Key ids the envelope says signed it (checked only when `signature` is `valid`). */
  signedBy: string[]
  /** SHA-256 of the manifest file, absent when it could not be read. */
  manifestSha256?: string
  /** What the manifest attests, absent when it could not be read. */
  predicate?: ManifestPredicate
  fileDigest?: { expected: string; actual: string }
  merkleRoot?: { expected: string; actual: string }
  /** Record-level comparison with the manifest's record digests; absent when those could not be trusted. */
  records?: RecordDiff
  /** Attested source of each manifest record by id (from the signed record digests). */
  sourceById: ReadonlyMap<string, string | null>
  /** Attested source of each dataset record in input order; null for records the manifest does not list. */
  sourcesInOrder: (string | null)[]
}

/**
 * Checks a dataset file against a manifest: the signature (with the given key), the file digest, the record digest
 * file's digest, every record by id, record order and Merkle roots. Never throws for a mismatch; only for unusable
 * input (a missing file, an unreadable key or dataset).
 */
export async function verifyDatasetAgainstManifest(
  datasetPath: string,
  manifestPath: string,
  options: VerifyOptions = {},
): Promise<DatasetVerification> {
  const during = 'the verification'
  throwIfAborted(options.signal, during)
  const publicKey =
    options.publicKey ?? (options.publicKeyPath ? await readPublicKey(options.publicKeyPath) : undefined)
  await statOrThrow(datasetPath)
  const result = emptyResult(datasetPath, manifestPath)
  let manifest: ManifestFile
  try {
    manifest = await readManifestFile(manifestPath)
  } catch (error) {
    if (!isPoisonguardError(error) || error.code !== 'PARSE_ERROR') throw error
    return finish(result, [{ check: 'manifest', message: error.message }])
  }
  result.manifestSha256 = manifest.sha256
  result.predicate = manifest.statement.predicate
  result.signedBy = manifest.envelope.signatures.map((signature) => signature.keyid || '(no key id)')
  const failures: VerificationFailure[] = [...checkSignature(manifest, publicKey, options, result)]
  // The sidecar is hashed while the dataset is read rather than before: on two threads that keeps both cores busy.
  const sidecarChecked = checkSidecarDigest(manifest, failures)
  // Awaited below; a failure meanwhile is not unhandled.
  sidecarChecked.catch(() => {})
  const collect = options.collectSources !== false
  const roleOptions = rolesOf(manifest, datasetPath, options)
  let pass: FirstPass
  try {
    const onProgress = progressCheckingAbort(
      options.signal,
      during,
      progressReporter(options, fractionDetail),
    )
    const hashedMeanwhile = manifest.statement.predicate.records.digests.byteCount
    pass = await firstPass(datasetPath, { ...roleOptions, onProgress, hashedMeanwhile }, collect)
  } catch (error) {
    await sidecarChecked
    // A dataset that no longer parses under the manifest's settings is a mismatch, not bad input.
    if (!isPoisonguardError(error) || error.code === 'FILE_NOT_FOUND' || isAbortError(error)) throw error
    failures.push(...(await unreadableDataset(datasetPath, manifest, error.message, result)))
    return finish(result, failures)
  }
  const sidecarPath = await sidecarChecked
  const { digest } = pass
  result.fileDigest = { expected: manifest.statement.subject[0].digest.sha256, actual: digest.sha256 }
  result.merkleRoot = { expected: manifest.statement.predicate.records.merkleRoot, actual: digest.merkleRoot }
  if (rootsMatch(manifest, digest)) {
    // Equal Merkle roots bind every record's body digest, label and position: no record-level pass is needed.
    result.records = unchangedRecords(digest.recordCount)
    if (collect) attachSources(result, pass.ids, pass.sources, Int32Array.from(pass.ids.keys()))
  } else if (sidecarPath) {
    const { table } = await readSidecar(sidecarPath)
    const matcher = new RecordMatcher(table)
    await digestDataset(datasetPath, {
      ...roleOptions,
      skipRoots: true,
      onRecord: (...record) => matcher.push(...record),
      onProgress: progressCheckingAbort(options.signal, during),
    })
    result.records = matcher.finish()
    if (collect) attachSources(result, table.ids, table.sources, matcher.oldPositions())
  }
  failures.push(...checkRecords(manifest, digest, result.records))
  // The records are those signed, so a summary claim that disagrees with them was signed wrong.
  if (result.records && isIdenticalDiff(result.records))
    failures.push(...checkClaims(manifest.statement.predicate, countsOfDigest(digest)))
  return finish(result, failures)
}

interface FirstPass {
  digest: DatasetDigest
  ids: string[]
  sources: (string | null)[]
}

/** Streams the dataset once for its digests, keeping ids and sources only when the caller wants them. */
async function firstPass(datasetPath: string, options: DigestOptions, collect: boolean): Promise<FirstPass> {
  const ids: string[] = []
  const sources: (string | null)[] = []
  const onRecord = (id: string, source: string | null) => {
    ids.push(id)
    sources.push(source)
  }
  const digest = await digestDataset(datasetPath, { ...options, onRecord: collect ? onRecord : undefined })
  return { digest, ids, sources }
}

async function unreadableDataset(
  datasetPath: string,
  manifest: ManifestFile,
  reason: string,
  result: DatasetVerification,
): Promise<VerificationFailure[]> {
  const subject = manifest.statement.subject[0]
  const actual = await hashFile(datasetPath)
  result.fileDigest = { expected: subject.digest.sha256, actual }
  const failures: VerificationFailure[] = []
  if (actual !== subject.digest.sha256) {
    failures.push({
      check: 'file-digest',
      message: `file digest mismatch: the dataset has sha256 ${actual}, the manifest was made for ${subject.name} with sha256 ${subject.digest.sha256}`,
    })
  }
  failures.push({
    check: 'dataset',
    message: `the dataset no longer reads as the manifest's records: ${reason}`,
  })
  return failures
}

function rolesOf(manifest: ManifestFile, datasetPath: string, options: VerifyOptions): DigestOptions {
  const dataset = manifest.statement.predicate.dataset
  return {
    id: dataset.idColumn,
    label: dataset.labelColumn,
    sourceColumn: dataset.sourceColumn,
    source: dataset.source,
    // An unknown extension (a renamed copy) is read in the format the manifest recorded.
    format: extname(datasetPath).toLowerCase() in KNOWN_EXTENSIONS ? undefined : dataset.format,
    maxLineBytes: options.maxLineBytes,
    encoding: manifest.statement.predicate.records.encoding,
    threads: options.threads,
    workerUrl: options.workerUrl,
    parallelFromBytes: options.parallelFromBytes,
  }
}

const KNOWN_EXTENSIONS = { '.csv': 1, '.jsonl': 1, '.ndjson': 1, '.parquet': 1 }

function rootsMatch(manifest: ManifestFile, digest: DatasetDigest): boolean {
  const predicate = manifest.statement.predicate
  if (digest.merkleRoot !== predicate.records.merkleRoot || digest.recordCount !== predicate.records.count)
    return false
  const expected = predicate.sources
  return (
    expected.length === digest.sources.length &&
    expected.every(
      (source, index) =>
        source.name === digest.sources[index].name && source.merkleRoot === digest.sources[index].merkleRoot,
    )
  )
}

function unchangedRecords(count: number): RecordDiff {
  return {
    oldCount: count,
    newCount: count,
    unchanged: count,
    added: [],
    removed: [],
    changed: [],
    labelOnly: 0,
    moved: 0,
    bySource: [],
    duplicateIds: [],
  }
}

function emptyResult(datasetPath: string, manifestPath: string): DatasetVerification {
  return {
    verdict: 'failed',
    ok: false,
    datasetPath,
    manifestPath,
    failures: [],
    notes: [],
    signature: { status: 'unchecked' },
    signedBy: [],
    sourceById: new Map(),
    sourcesInOrder: [],
  }
}

function finish(result: DatasetVerification, failures: VerificationFailure[]): DatasetVerification {
  result.failures = failures
  result.ok = failures.length === 0
  result.verdict = result.ok ? 'verified' : 'failed'
  return result
}

/** Attested source per dataset record (`positions[i]` indexes `ids`/`sources`, -1 when not attested) and by id. */
function attachSources(
  result: DatasetVerification,
  ids: readonly string[],
  sources: readonly (string | null)[],
  positions: Int32Array,
): void {
  result.sourcesInOrder = Array.from(positions, (index) => (index < 0 ? null : sources[index]))
  let byId: Map<string, string | null> | undefined
  Object.defineProperty(result, 'sourceById', {
    enumerable: false,
    get: () => {
      byId ??= new Map(ids.map((id, index) => [id, sources[index]]))
      return byId
    },
  })
}
