import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { openScanStore } from '../../src/distributed/scan-store.js'
import { startService } from '../../src/server/service.js'
import { openStore } from '../../src/store/open.js'

/** A wrong URL fails at startup with the address and a hint; it neither hangs nor prints a password. */
describe('unreachable services', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'poisonguard-unreachable-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  test('PostgreSQL', async () => {
    const opening = openStore({ dataDir, db: 'postgres://pg:s3cret@127.0.0.1:1/poisonguard' })
    await expect(opening).rejects.toThrow(
      /^cannot reach PostgreSQL at postgres:\/\/pg:\*\*\*@127\.0\.0\.1:1\/poisonguard: .*ECONNREFUSED/,
    )
    await expect(opening).rejects.toMatchObject({ code: 'UNAVAILABLE' })
  })

  test('PostgreSQL for distributed scan jobs', async () => {
    const opening = openScanStore('postgres://pg:s3cret@127.0.0.1:1/poisonguard')
    await expect(opening).rejects.toThrow(
      /^cannot use PostgreSQL at postgres:\/\/pg:\*\*\*@127\.0\.0\.1:1\/poisonguard for scan jobs: .*ECONNREFUSED/,
    )
    await expect(opening).rejects.toMatchObject({ code: 'UNAVAILABLE' })
  })

  test('Redis', async () => {
    const starting = startService({
      port: 0,
      dataDir,
      queue: 'redis://:s3cret@127.0.0.1:1',
      logLevel: 'silent',
    })
    await expect(starting).rejects.toThrow(
      /^cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1: connect ECONNREFUSED/,
    )
    await expect(starting).rejects.toMatchObject({ code: 'UNAVAILABLE' })
  })
})
