import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { PoisonguardError } from '../../src/errors.js'
import { generateMasterKey, openBlob, sealBlob } from '../../src/store/encryption.js'
import { openStore } from '../../src/store/open.js'
import { rotateMasterKey } from '../../src/store/rotate.js'
import { rejection } from '../fixtures/errors.js'
import { cleanBatchCsv, referenceCsv } from './data.js'
import { type ProjectSetup, setUpProject, submitAndWait } from './flow.js'
import { startTestService, type TestService } from './harness.js'

describe('blob encryption', () => {
  const master = generateMasterKey()
  const plaintext = Buffer.from('id,label,x\n1,a,0.5\n')

  test('round-trips, and each blob gets its own data key and nonce', () => {
    const first = sealBlob(master, 'blob-1', plaintext)
    const second = sealBlob(master, 'blob-1', plaintext)
    expect(openBlob([master], 'blob-1', first)).toEqual(plaintext)
    expect(first.ciphertext.equals(second.ciphertext)).toBe(false)
    expect(first.wrappedKey.equals(second.wrappedKey)).toBe(false)
    expect(first.ciphertext.includes(plaintext)).toBe(false)
  })

  test('a changed byte anywhere is detected, never decrypted', () => {
    const sealed = sealBlob(master, 'blob-2', plaintext)
    const flip = (buffer: Buffer, at: number) => {
      const copy = Buffer.from(buffer)
      copy[at] ^= 1
      return copy
    }
    for (const field of ['ciphertext', 'tag', 'nonce', 'wrappedKey'] as const) {
      const error = rejection(() =>
        openBlob([master], 'blob-2', { ...sealed, [field]: flip(sealed[field], 0) }),
      )
      expect(error.code, field).toBe('TAMPERED')
    }
    // A ciphertext moved into another blob's row fails too: the blob id is authenticated.
    expect(rejection(() => openBlob([master], 'blob-3', sealed)).code).toBe('TAMPERED')
  })

  test('a blob of an unknown master key names the key it needs', () => {
    const sealed = sealBlob(master, 'blob-4', plaintext)
    const error = rejection(() => openBlob([generateMasterKey()], 'blob-4', sealed))
    expect(error).toBeInstanceOf(PoisonguardError)
    expect(error.message).toContain(master.id)
  })
})

describe('encryption at rest in the service', () => {
  let t: TestService
  let setup: ProjectSetup
  beforeAll(async () => {
    t = await startTestService()
    setup = await setUpProject(t, { requireSigned: false })
    await submitAndWait(t, setup, cleanBatchCsv(600, 30))
  })
  afterAll(() => t.stop())

  test('no record of the data appears in the database file', () => {
    const database = Buffer.concat(
      ['poisonguard.sqlite', 'poisonguard.sqlite-wal']
        .map((name) => join(t.dataDir, name))
        .filter((path) => existsSync(path))
        .map((path) => readFileSync(path)),
    )
    const someRecord = referenceCsv().split('\n')[7]
    expect(someRecord.length).toBeGreaterThan(40)
    expect(database.includes(Buffer.from(someRecord))).toBe(false)
    expect(database.includes(Buffer.from('BEGIN PRIVATE KEY'))).toBe(false)
  })

  test('a tampered blob is refused with a coded error, not served', async () => {
    const dataset = await t.call('GET', `/v1/datasets/${setup.datasetId}`, { token: t.adminToken })
    const version = dataset.body.versions[0]
    const row = await t.service.store.db
      .selectFrom('versions')
      .select('data_blob')
      .where('id', '=', version.id)
      .executeTakeFirstOrThrow()
    const blob = await t.service.store.db
      .selectFrom('blobs')
      .selectAll()
      .where('id', '=', row.data_blob)
      .executeTakeFirstOrThrow()
    const changed = Buffer.from(blob.ciphertext)
    changed[10] ^= 0x20
    await t.service.store.db
      .updateTable('blobs')
      .set({ ciphertext: changed })
      .where('id', '=', blob.id)
      .execute()
    const exported = await t.exportVersion(version.id, t.adminToken)
    expect(exported.body.status).toBe('failed')
    expect(exported.body.error.code).toBe('TAMPERED')
    expect(exported.body.data).toBeUndefined()
    expect(JSON.stringify(exported.body)).not.toMatch(/at .*\.ts:\d+/)
    await t.service.store.db
      .updateTable('blobs')
      .set({ ciphertext: blob.ciphertext })
      .where('id', '=', blob.id)
      .execute()
    expect((await t.exportVersion(version.id, t.adminToken)).body.status).toBe('done')
  })
})

describe('master key rotation', () => {
  test('rewraps every data key; the data reads back under the new key and not under the old one', async () => {
    const t = await startTestService()
    const setup = await setUpProject(t, { requireSigned: false })
    const versionId = (await t.call('GET', `/v1/datasets/${setup.datasetId}`, { token: t.adminToken })).body
      .currentVersionId
    await t.stop({ keepData: true })
    const keyFile = join(t.dataDir, 'master.key')
    const oldKey = readFileSync(keyFile, 'utf8')
    const result = await rotateMasterKey({ dataDir: t.dataDir })
    expect(result.blobs).toBeGreaterThan(3)
    expect(readFileSync(keyFile, 'utf8')).not.toBe(oldKey)
    expect(existsSync(`${keyFile}.new`)).toBe(false)
    const rotated = await openStore({ dataDir: t.dataDir })
    try {
      const version = await rotated.db
        .selectFrom('versions')
        .selectAll()
        .where('id', '=', versionId)
        .executeTakeFirstOrThrow()
      expect((await rotated.getBlob(version.data_blob)).toString()).toBe(referenceCsv())
      const entries = await rotated.auditEntries()
      expect(JSON.parse(entries[entries.length - 1].entry).action).toBe('keys.rotate')
    } finally {
      await rotated.close()
    }
    const withOldKey = await openStore({ dataDir: t.dataDir, masterKey: oldKey.trim() })
    try {
      const version = await withOldKey.db
        .selectFrom('versions')
        .selectAll()
        .where('id', '=', versionId)
        .executeTakeFirstOrThrow()
      await expect(withOldKey.getBlob(version.data_blob)).rejects.toThrow(/was not given/)
    } finally {
      await withOldKey.close()
    }
    const restarted = await startTestService({ dataDir: t.dataDir })
    const exported = await restarted.exportVersion(versionId, t.adminToken)
    expect(exported.body.data).toBe(referenceCsv())
    await restarted.stop()
  })
})

describe('master key rotation with the key in the environment', () => {
  test('needs the new key in POISONGUARD_NEW_MASTER_KEY, then reads everything with it', async () => {
    const [oldKey, newKey] = [generateMasterKey(), generateMasterKey()].map((key) =>
      key.key.toString('base64'),
    )
    const t = await startTestService({ masterKey: oldKey })
    const setup = await setUpProject(t, { requireSigned: false })
    const versionId = (await t.call('GET', `/v1/datasets/${setup.datasetId}`, { token: t.adminToken })).body
      .currentVersionId
    await t.stop({ keepData: true })
    try {
      await expect(rotateMasterKey({ dataDir: t.dataDir, masterKey: oldKey })).rejects.toThrow(
        /the new one must too/,
      )
      process.env.POISONGUARD_NEW_MASTER_KEY = newKey
      expect((await rotateMasterKey({ dataDir: t.dataDir, masterKey: oldKey })).blobs).toBeGreaterThan(3)
    } finally {
      delete process.env.POISONGUARD_NEW_MASTER_KEY
    }
    const restarted = await startTestService({ dataDir: t.dataDir, masterKey: newKey })
    try {
      const exported = await restarted.exportVersion(versionId, t.adminToken)
      expect(exported.body.data).toBe(referenceCsv())
    } finally {
      await restarted.stop()
    }
  })
})
