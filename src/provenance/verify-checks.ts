import type { KeyObject } from 'node:crypto'
import { basename } from 'node:path'
import { isPoisonguardError, PoisonguardError } from '../errors.js'
import { statOrThrow } from '../io/files.js'
import { hashFile } from '../io/hash.js'
import { describeFileKind } from '../io/regular-file.js'
import type { DatasetDigest } from './dataset-digest.js'
import { type ChangedRecord, isIdenticalDiff, type RecordDiff, type RecordRef } from './diff.js'
import { verifyEnvelope } from './dsse.js'
import { keyIdOf } from './keys.js'
import { type ManifestFile, sidecarPathOf } from './manifest-file.js'
import type { DatasetVerification, VerifyOptions } from './verify.js'

/** One failed check, named so a pipeline can branch on it, with a message that says exactly what differs. */
export interface VerificationFailure {
  check:
    | 'manifest'
    | 'signature'
    | 'record-digests'
    | 'dataset'
    | 'file-digest'
    | 'changed'
    | 'added'
    | 'removed'
    | 'duplicate-ids'
    | 'order'
    | 'merkle-root'
    | 'sources'
    | 'record-count'
    | 'label-counts'
    | 'source-counts'
  message: string
}

/** How many records a failure message names before it only counts them. */
const LISTED = 10

/** Compares the digested dataset with the manifest: file digest, records (when known), order and roots. */
export function checkRecords(
  manifest: ManifestFile,
  digest: DatasetDigest,
  records: RecordDiff | undefined,
): VerificationFailure[] {
  const failures: VerificationFailure[] = []
  const subject = manifest.statement.subject[0]
  if (digest.sha256 !== subject.digest.sha256) {
    let why = ''
    if (records && isIdenticalDiff(records))
      why = '; every record matches, so the file was re-encoded (another format, quoting or line endings)'
    failures.push({
      check: 'file-digest',
      message: `file digest mismatch: the dataset has sha256 ${digest.sha256}, the manifest was made for ${subject.name} with sha256 ${subject.digest.sha256}${why}`,
    })
  }
  if (records) failures.push(...recordFailures(records))
  const predicate = manifest.statement.predicate
  const rootDiffers = digest.merkleRoot !== predicate.records.merkleRoot
  if (rootDiffers && (!records || isIdenticalDiff(records))) {
    failures.push({
      check: 'merkle-root',
      message: `Merkle root mismatch: the records hash to ${digest.merkleRoot}, the manifest says ${predicate.records.merkleRoot} (${digest.recordCount} records, the manifest has ${predicate.records.count})`,
    })
  }
  if (!records && rootDiffers) failures.push(...sourceFailures(manifest, digest))
  return failures
}

function recordFailures(diff: RecordDiff): VerificationFailure[] {
  const failures: VerificationFailure[] = []
  if (diff.changed.length > 0) {
    const labelOnly = diff.labelOnly > 0 ? ` (${diff.labelOnly} only in their label)` : ''
    failures.push({
      check: 'changed',
      message: `${count(diff.changed.length)} changed${labelOnly}: ${listed(diff.changed, describeChange)}`,
    })
  }
  if (diff.added.length > 0) {
    failures.push({
      check: 'added',
      message: `${count(diff.added.length)} not in the manifest (added): ${listed(diff.added, describeRef)}`,
    })
  }
  if (diff.removed.length > 0) {
    failures.push({
      check: 'removed',
      message: `${count(diff.removed.length)} of the manifest missing (removed): ${listed(diff.removed, describeRef)}`,
    })
  }
  if (diff.duplicateIds.length > 0) {
    failures.push({
      check: 'duplicate-ids',
      message: `repeated id${diff.duplicateIds.length === 1 ? '' : 's'}: ${listed(diff.duplicateIds, (id) => JSON.stringify(id))}`,
    })
  }
  if (diff.moved > 0) {
    failures.push({
      check: 'order',
      message: `records reordered: ${count(diff.moved)} moved relative to the others`,
    })
  }
  return failures
}

/** Without record digests, per-source Merkle roots still say which sources' records differ. */
function sourceFailures(manifest: ManifestFile, digest: DatasetDigest): VerificationFailure[] {
  const actual = new Map(digest.sources.map((source) => [source.name, source]))
  const differing: string[] = []
  for (const expected of manifest.statement.predicate.sources) {
    const found = actual.get(expected.name)
    actual.delete(expected.name)
    if (found?.merkleRoot === expected.merkleRoot) continue
    differing.push(`${sourceName(expected.name)} (${found?.count ?? 0} records, manifest ${expected.count})`)
  }
  for (const extra of actual.values())
    differing.push(`${sourceName(extra.name)} (${extra.count} records, not in the manifest)`)
  if (differing.length === 0) return []
  return [
    {
      check: 'sources',
      message: `records differ in source${differing.length === 1 ? '' : 's'} ${differing.join(', ')}`,
    },
  ]
}

function count(records: number): string {
  return `${records} record${records === 1 ? '' : 's'}`
}

function listed<T>(items: readonly T[], describe: (item: T) => string): string {
  const shown = items.slice(0, LISTED).map(describe).join('; ')
  return items.length > LISTED ? `${shown}; … and ${items.length - LISTED} more` : shown
}

function sourceName(source: string | null): string {
  return source === null ? 'unattributed' : JSON.stringify(source)
}

/** `id "17" (source "vendor-x")`. */
export function describeRef(record: RecordRef): string {
  return `id ${JSON.stringify(record.id)} (source ${sourceName(record.source)})`
}

/** What changed in one record, e.g. `label "3" → "8", label only`. */
export function describeChange(record: ChangedRecord): string {
  const parts: string[] = []
  if (record.contentChanged) parts.push('content changed')
  if (record.previousLabel !== record.label)
    parts.push(`label ${JSON.stringify(record.previousLabel)} → ${JSON.stringify(record.label)}`)
  if (record.previousSource !== record.source)
    parts.push(`source ${sourceName(record.previousSource)} → ${sourceName(record.source)}`)
  if (record.labelOnly) parts.push('label only')
  return `${describeRef(record)}: ${parts.join(', ')}`
}

/**
 * Checks the envelope's signatures with `publicKey` and records the status in `result`; without a key, notes that
 * only digests were checked (or fails when a signature is required).
 */
export function checkSignature(
  manifest: ManifestFile,
  publicKey: KeyObject | undefined,
  options: Pick<VerifyOptions, 'requireSigned'>,
  result: Pick<DatasetVerification, 'signature' | 'signedBy' | 'notes'>,
): VerificationFailure[] {
  const { signedBy } = result
  if (!publicKey) {
    if (signedBy.length === 0) result.signature = { status: 'unsigned' }
    if (options.requireSigned) {
      return [
        { check: 'signature', message: 'a signature is required, but no public key was given to check it' },
      ]
    }
    result.notes.push(
      signedBy.length === 0
        ? 'the manifest is unsigned; only digests were checked'
        : `signature not checked (no public key given); signed by key id ${signedBy.join(', ')}`,
    )
    return []
  }
  const status = verifyEnvelope(manifest.envelope, manifest.payload, publicKey)
  result.signature = status
  if (status.status === 'valid') return []
  if (status.status === 'unsigned') {
    return [
      {
        check: 'signature',
        message: `the manifest is unsigned, but it must be signed by key id ${keyIdOf(publicKey)}`,
      },
    ]
  }
  if (status.status === 'wrong-key') {
    return [
      {
        check: 'signature',
        message: `wrong key: the manifest is signed by key id ${status.signedBy.join(', ')}, not by the given public key (key id ${status.keyId})`,
      },
    ]
  }
  return [{ check: 'signature', message: `bad signature: ${status.reason} (key id ${status.keyId})` }]
}

/** The record digest file's path when its bytes match the digest the manifest states; otherwise records why not. */
export async function checkSidecarDigest(
  manifest: ManifestFile,
  failures: VerificationFailure[],
): Promise<string | undefined> {
  const expected = manifest.statement.predicate.records.digests.digest.sha256
  let path: string
  try {
    path = sidecarPathOf(manifest)
    const stats = await statOrThrow(path)
    // Never hash a FIFO or device put in its place: the read would block or never end.
    if (!stats.isFile())
      throw PoisonguardError.at('INVALID_ARGUMENT', { file: path }, `it is ${describeFileKind(stats)}`)
  } catch (error) {
    if (!isPoisonguardError(error)) throw error
    failures.push({ check: 'record-digests', message: `record digest file unusable: ${error.message}` })
    return undefined
  }
  const actual = await hashFile(path)
  if (actual === expected) return path
  failures.push({
    check: 'record-digests',
    message: `record digest file ${basename(path)} was altered: its sha256 is ${actual}, the manifest says ${expected}`,
  })
  return undefined
}
