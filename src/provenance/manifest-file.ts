import { hash } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { PoisonguardError } from '../errors.js'
import { readRegularFile } from '../io/regular-file.js'
import { type DsseEnvelope, decodeBase64, IN_TOTO_PAYLOAD_TYPE } from './dsse.js'
import type { ManifestStatement } from './statement.js'

/** A manifest file as read from disk: its bytes' digest, the envelope, and the statement it carries. */
export interface ManifestFile {
  path: string
  /** SHA-256 of the manifest file's bytes: what a child manifest records as its parent's digest. */
  sha256: string
  envelope: DsseEnvelope
  /** The decoded envelope payload: the bytes that are signed. */
  payload: Buffer
  statement: ManifestStatement
}

/** Far more than any manifest needs (the per-record digests live in the sidecar); reads stop here. */
export const MAX_MANIFEST_BYTES = 64 << 20

/**
 * Reads and validates a DSSE-enveloped manifest; only a regular file of at most `MAX_MANIFEST_BYTES` is read (a
 * FIFO or device is refused unopened). A missing file is FILE_NOT_FOUND; anything malformed is PARSE_ERROR with a
 * message naming the part that is wrong (verification reports those as failures).
 */
export async function readManifestFile(path: string): Promise<ManifestFile> {
  const bytes = await readRegularFile(path, { maxBytes: MAX_MANIFEST_BYTES, what: 'manifest' })
  const sha256 = hash('sha256', bytes, 'hex')
  const envelope = parseEnvelope(bytes, path)
  const payload = decodeBase64(envelope.payload)
  if (!payload) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: path, path: 'payload' },
      'the envelope payload is not valid base64 (the manifest was altered or damaged)',
    )
  }
  // Loaded here, not up front: a manifest created without parents never reads one (see `statement-schema.ts`).
  const { parseStatement } = await import('./statement-schema.js')
  return { path, sha256, envelope, payload, statement: parseStatement(payload, path) }
}

function parseEnvelope(bytes: Buffer, path: string): DsseEnvelope {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: path },
      `the manifest is not valid JSON (${(error as Error).message}); it was altered or damaged`,
    )
  }
  const envelope = value as Partial<DsseEnvelope> | null
  const problem =
    envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)
      ? 'expected a DSSE envelope object'
      : typeof envelope.payload !== 'string'
        ? 'the envelope has no string "payload"'
        : envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE
          ? `the envelope payloadType must be ${IN_TOTO_PAYLOAD_TYPE}, found ${JSON.stringify(envelope.payloadType)}`
          : !Array.isArray(envelope.signatures) ||
              !envelope.signatures.every(
                (signature) =>
                  signature !== null &&
                  typeof signature === 'object' &&
                  typeof signature.sig === 'string' &&
                  (signature.keyid === undefined || typeof signature.keyid === 'string'),
              )
            ? 'the envelope "signatures" must be a list of {keyid, sig} objects'
            : undefined
  if (problem) throw PoisonguardError.at('PARSE_ERROR', { file: path }, `not a DSSE manifest: ${problem}`)
  const signatures = envelope!.signatures!.map((signature) => ({
    keyid: signature.keyid ?? '',
    sig: signature.sig,
  }))
  return { payloadType: envelope!.payloadType!, payload: envelope!.payload!, signatures }
}

/**
 * Where the manifest's record digest file lives: its recorded name, beside the manifest. Names with folders are
 * refused, so a manifest can never point verification at an arbitrary file.
 */
export function sidecarPathOf(manifest: ManifestFile): string {
  const name = manifest.statement.predicate.records.digests.name
  if (name === '' || name !== basename(name) || name === '.' || name === '..') {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: manifest.path, path: 'predicate.records.digests.name' },
      `the record digest file must be a plain file name beside the manifest, found ${JSON.stringify(name)}`,
    )
  }
  return join(dirname(manifest.path), name)
}
