import { type KeyObject, verify } from 'node:crypto'
import { canonicalJson } from '../provenance/canonical.js'
import { leafHash } from '../provenance/merkle.js'
import { treeHash } from './audit-tree.js'
import { type OpenStoreOptions, openStore } from './open.js'
import type { SignedTreeHead } from './store.js'

/** The outcome of checking an audit log against a signed tree head. */
export interface AuditVerification {
  ok: boolean
  /** Entries checked (the head's tree size). */
  entries: number
  failures: string[]
}

/**
 * Checks an audit log offline: the tree head's Ed25519 signature, that entries are numbered 0, 1, 2, … and that
 * the RFC 6962 tree over the first `treeSize` entries has the signed root. Any edited, dropped, reordered or
 * inserted entry changes that root.
 */
export function verifyAuditLog(
  entries: readonly { seq: number; entry: string }[],
  head: SignedTreeHead,
  publicKey: KeyObject,
): AuditVerification {
  const failures: string[] = []
  const signed = canonicalJson({
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    timestamp: head.timestamp,
  })
  let signatureOk = false
  try {
    signatureOk = verify(null, Buffer.from(signed), publicKey, Buffer.from(head.signature, 'base64'))
  } catch {
    signatureOk = false
  }
  if (!signatureOk) failures.push('the tree head signature does not verify with the given key')
  if (entries.length < head.treeSize)
    failures.push(`the log has ${entries.length} entries; the signed head covers ${head.treeSize}`)
  const covered = entries.slice(0, head.treeSize)
  const misnumbered = covered.findIndex((entry, index) => entry.seq !== index)
  if (misnumbered >= 0)
    failures.push(`entry at position ${misnumbered} is numbered ${covered[misnumbered].seq}`)
  for (const [index, entry] of covered.entries()) {
    if (!isEntryOf(entry.entry, index))
      failures.push(`entry ${index} is not a well-formed audit entry numbered ${index}`)
  }
  if (entries.length >= head.treeSize) {
    const root = treeHash(covered.map((entry) => leafHash(Buffer.from(entry.entry)))).toString('hex')
    if (root !== head.rootHash)
      failures.push(
        `the entries hash to root ${root}, the signed head says ${head.rootHash}: the log was changed`,
      )
  }
  return { ok: failures.length === 0, entries: head.treeSize, failures }
}

function isEntryOf(text: string, seq: number): boolean {
  try {
    const parsed = JSON.parse(text) as { seq?: unknown }
    return parsed.seq === seq
  } catch {
    return false
  }
}

/** Checks the audit log a store holds against a tree head saved earlier (what `poisonguard audit verify` runs). */
export async function verifyStoredAuditLog(
  options: OpenStoreOptions,
  head: SignedTreeHead,
  publicKey: KeyObject,
): Promise<AuditVerification> {
  const store = await openStore(options)
  try {
    return verifyAuditLog(await store.auditEntries(), head, publicKey)
  } finally {
    await store.close()
  }
}
