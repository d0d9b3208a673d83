import { hash } from 'node:crypto'
import { type CanonicalCell, normaliseText } from '../data/canonical-text.js'

/**
 * Identifies the record encoding in manifests, so a change can never be mistaken for another. v2 keeps v1's bodies
 * and body digests and changes only the Merkle leaves: one per block of records instead of one per record.
 */
export const RECORD_ENCODING = 'https://poisonguard.dev/canonical-record/v2'
/** The first encoding: one Merkle leaf per record. Manifests in it are still read and verified. */
export const RECORD_ENCODING_V1 = 'https://poisonguard.dev/canonical-record/v1'

/**
 * Sets `cell` to the canonical text of one value, or null when it is empty: `''`, null and undefined are all "no
 * value", because CSV cannot tell them apart. Numbers and numeric text normalise alike; booleans become
 * `true`/`false`, dates ISO 8601, bytes base64, nested values canonical JSON.
 */
export function canonicalCell(value: unknown, cell: CanonicalCell): void {
  switch (typeof value) {
    case 'string':
      if (value === '') cell.text = null
      else normaliseText(value, cell)
      return
    case 'number':
    case 'bigint':
    case 'boolean':
      normaliseText(String(value), cell)
      return
    case 'undefined':
      cell.text = null
      return
    default:
      if (value === null) cell.text = null
      else if (value instanceof Date) normaliseText(value.toISOString(), cell)
      else if (value instanceof Uint8Array) normaliseText(Buffer.from(value).toString('base64'), cell)
      else normaliseText(canonicalJson(value), cell)
  }
}

const scratch: CanonicalCell = { text: null, kind: 0 }

/** The canonical text of one value, or null when it is empty (see `canonicalCell`). */
export function canonicalText(value: unknown): string | null {
  canonicalCell(value, scratch)
  return scratch.text
}

/** JSON with object keys sorted by UTF-16 code units (as RFC 8785), for nested cells. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort()
    const entries = keys
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** SHA-256 of a record body's UTF-8 bytes. */
export function digestBody(body: string): Buffer {
  return hash('sha256', body, 'buffer')
}

/*
 * The streaming paths hash millions of short inputs. A digest returned as a latin1 string (one byte per character)
 * costs a third of one returned as a new Buffer, which needs its own backing store each time; so digests travel
 * as such strings or are written into reused buffers, and a Buffer is made only at the public edges.
 */

/** The SHA-256 of a record body's UTF-8 bytes as a latin1 string of its 32 bytes. */
export function digestBodyBinary(body: string): string {
  return hash('sha256', body, 'binary')
}

const LEAF_SCRATCH = Buffer.alloc(1 + 32 + 1024)

/** The leaf hash of `recordLeaf` as a latin1 string of its 32 bytes, from the UTF-8 of the label's JSON. */
export function recordLeafBinary(bodyDigest: Uint8Array, labelJson: Uint8Array): string {
  const scratch = LEAF_SCRATCH
  scratch[0] = 0
  scratch.set(bodyDigest, 1)
  // Short labels (nearly all) are hashed from a reused buffer.
  if (33 + labelJson.length <= scratch.length) {
    scratch.set(labelJson, 33)
    return hash('sha256', scratch.subarray(0, 33 + labelJson.length), 'binary')
  }
  return hash('sha256', Buffer.concat([scratch.subarray(0, 33), labelJson]), 'binary')
}

/**
 * The Merkle leaf of a record (RFC 6962 leaf hash): SHA-256(0x00 ‖ body digest ‖ UTF-8 of the label as JSON),
 * binding content and label together while keeping them apart for diffs.
 */
export function recordLeaf(bodyDigest: Uint8Array, label: string | null): Buffer {
  return Buffer.from(recordLeafBinary(bodyDigest, Buffer.from(JSON.stringify(label))), 'latin1')
}
