import { createHash } from 'node:crypto'
import { PoisonguardError } from '../errors.js'
import {
  type ExportRow,
  finishExport,
  getExport,
  getVersion,
  insertExport,
  type VersionRow,
} from '../store/catalog.js'
import type { Store } from '../store/store.js'

/*
 * Training snapshots as queued jobs. Asking for an export stores a pending job; the queue reads and checks the
 * version's blobs and logs the export, and the snapshot is fetched once the job is done. Versions are immutable, so
 * the snapshot is read from the version's own blobs rather than copied.
 */

/** A version's data with its signed manifest and record digests. */
export interface Snapshot {
  version: VersionRow
  data: Buffer
  manifest: Buffer
  sidecar: Buffer
}

/** Stores an export of a version for the queue; returns its id. */
export async function requestExport(store: Store, actor: string, versionId: string): Promise<string> {
  await getVersion(store.db, versionId)
  return insertExport(store.db, versionId, actor)
}

async function readSnapshot(store: Store, version: VersionRow): Promise<Snapshot> {
  const data = await store.getBlob(version.data_blob)
  const manifest = await store.getBlob(version.manifest_blob)
  const sidecar = await store.getBlob(version.sidecar_blob)
  // Decryption authenticates every blob; the content address also ties the data to the version it claims to be.
  if (createHash('sha256').update(data).digest('hex') !== version.sha256)
    throw new PoisonguardError('TAMPERED', `the data of version ${version.id} does not match its SHA-256`, {
      hint: 'restore the store from a backup; the version cannot be exported as it is',
    })
  return { version, data, manifest, sidecar }
}

/**
 * Runs one export job: checks the snapshot and logs the export in the transaction that marks it done. A tampered
 * blob fails the export for good (running it again cannot help); any other error is thrown so the queue retries.
 */
export async function processExport(store: Store, exportId: string): Promise<ExportRow['status']> {
  const job = await getExport(store.db, exportId)
  if (job.status !== 'pending') return job.status
  const version = await getVersion(store.db, job.version_id)
  try {
    await readSnapshot(store, version)
  } catch (error) {
    if (!(error instanceof PoisonguardError) || error.code !== 'TAMPERED') throw error
    const failure = JSON.stringify({ code: error.code, message: error.message })
    await finishExport(store.db, exportId, { status: 'failed', error: failure })
    return 'failed'
  }
  await store.transaction(async (trx) => {
    if (!(await finishExport(trx, exportId, { status: 'done' }))) return
    await store.appendAudit(trx, {
      actor: job.requested_by,
      action: 'version.export',
      subject: `version:${version.id}`,
      details: { sha256: version.sha256, export: exportId },
    })
  })
  return 'done'
}

/** An export job and, once it is done, its snapshot. */
export async function exportStatus(
  store: Store,
  exportId: string,
): Promise<{ job: ExportRow; snapshot?: Snapshot }> {
  const job = await getExport(store.db, exportId)
  if (job.status !== 'done') return { job }
  return { job, snapshot: await readSnapshot(store, await getVersion(store.db, job.version_id)) }
}
