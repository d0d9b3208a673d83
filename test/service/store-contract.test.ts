import { createPublicKey, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createUser } from '../../src/store/access.js'
import { verifyAuditLog } from '../../src/store/audit-verify.js'
import { createProject, getProject } from '../../src/store/catalog.js'
import { openStore } from '../../src/store/open.js'
import type { Store } from '../../src/store/store.js'
import { dropSchema, POSTGRES_URL, requirePostgres, skipReason } from './harness.js'

/*
 * One contract for both dialects: the same store behaviour on the embedded SQLite file and on PostgreSQL.
 */
for (const dialect of ['sqlite', 'postgres'] as const) {
  const suite = `store contract (${dialect})`
  describe.skipIf(skipReason(dialect, suite))(suite, () => {
    let store: Store
    const dataDir = mkdtempSync(join(tmpdir(), 'poisonguard-store-'))
    const schema = `pgtest_${randomBytes(6).toString('hex')}`
    beforeAll(async () => {
      if (dialect === 'postgres') await requirePostgres()
      store = await openStore({
        dataDir,
        ...(dialect === 'postgres' ? { db: POSTGRES_URL, pgSchema: schema } : {}),
      })
    })
    afterAll(async () => {
      await store.close()
      rmSync(dataDir, { recursive: true, force: true })
      if (dialect === 'postgres') await dropSchema(schema)
    })

    test('a transaction that fails leaves nothing behind, its audit entry included', async () => {
      const before = await store.auditSize()
      const failing = store.transaction(async (trx) => {
        const userId = await createUser(trx, 'half-written', false)
        await createProject(trx, 'half-written', {}, userId)
        await store.putBlob(trx, Buffer.from('never visible'))
        await store.appendAudit(trx, { actor: userId, action: 'project.create', subject: 'project:x' })
        throw new Error('crash in the middle')
      })
      await expect(failing).rejects.toThrow('crash in the middle')
      expect(await store.auditSize()).toBe(before)
      expect(await store.db.selectFrom('projects').selectAll().execute()).toEqual([])
      expect(await store.db.selectFrom('users').selectAll().execute()).toEqual([])
      expect(await store.db.selectFrom('blobs').selectAll().execute()).toEqual([])
    })

    test('blobs round-trip through the database encrypted', async () => {
      const bytes = randomBytes(5000)
      const id = await store.transaction((trx) => store.putBlob(trx, bytes))
      expect(await store.getBlob(id)).toEqual(bytes)
      const row = await store.db
        .selectFrom('blobs')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
      expect(Buffer.from(row.ciphertext).equals(bytes)).toBe(false)
    })

    test('concurrent writers get gapless, ordered audit positions and a log that verifies', async () => {
      const before = await store.auditSize()
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          store.transaction(async (trx) => {
            const userId = await createUser(trx, `user-${index}`, false)
            await store.appendAudit(trx, { actor: 'test', action: 'user.create', subject: `user:${userId}` })
          }),
        ),
      )
      const entries = await store.auditEntries()
      expect(entries.map((entry) => entry.seq)).toEqual(
        Array.from({ length: before + 20 }, (_, index) => index),
      )
      const key = createPublicKey(await store.auditPublicKeyPem())
      expect(verifyAuditLog(entries, await store.signedTreeHead(), key).ok).toBe(true)
    })

    test('a project reads back as written', async () => {
      const userId = await store.transaction((trx) => createUser(trx, 'owner', false))
      const id = await store.transaction((trx) => createProject(trx, 'contract', { maxBatchRows: 7 }, userId))
      expect(await getProject(store.db, id)).toMatchObject({ name: 'contract', policy: { maxBatchRows: 7 } })
    })
  })
}
