import { createPublicKey } from 'node:crypto'
import { type AuditVerification, verifyAuditLog } from '../store/audit-verify.js'
import { listBatches, listDatasets, listSources, listVersions } from '../store/catalog.js'
import type { AuditEntry, Store } from '../store/store.js'

/** The audit entries about one project, and whether the whole log still matches a freshly signed tree head. */
export interface ProjectAuditLog {
  entries: (AuditEntry & { actorName: string })[]
  head: { treeSize: number; rootHash: string; timestamp: string; keyId: string }
  verification: AuditVerification
}

/** Everything in a project an audit entry can be about, as `kind:id` subjects. */
async function projectSubjects(store: Store, projectId: string): Promise<Set<string>> {
  const subjects = new Set([`project:${projectId}`])
  for (const source of await listSources(store.db, projectId)) subjects.add(`source:${source.id}`)
  for (const dataset of await listDatasets(store.db, projectId)) {
    subjects.add(`dataset:${dataset.id}`)
    for (const version of await listVersions(store.db, dataset.id)) subjects.add(`version:${version.id}`)
    for (const batch of await listBatches(store.db, dataset.id)) subjects.add(`batch:${batch.id}`)
  }
  return subjects
}

/**
 * The project's entries, newest first, with the names of who acted; and the check `poisonguard audit verify`
 * runs, over every entry of the log against a head the server signs now, so a changed entry shows at once.
 */
export async function projectAuditLog(store: Store, projectId: string): Promise<ProjectAuditLog> {
  const rows = await store.auditEntries()
  const head = await store.signedTreeHead(rows.length)
  const verification = verifyAuditLog(rows, head, createPublicKey(await store.signingKey()))
  const subjects = await projectSubjects(store, projectId)
  const users = await store.db.selectFrom('users').select(['id', 'name']).execute()
  const names = new Map(users.map((user) => [user.id, user.name]))
  const entries = rows
    .map((row) => JSON.parse(row.entry) as AuditEntry)
    .filter((entry) => subjects.has(entry.subject))
    .map((entry) => ({ ...entry, actorName: names.get(entry.actor) ?? entry.actor }))
    .reverse()
  const { treeSize, rootHash, timestamp, keyId } = head
  return { entries, head: { treeSize, rootHash, timestamp, keyId }, verification }
}
