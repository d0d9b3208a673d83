import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { openStore } from '../../src/store/open.js'
import { setUpProject } from './flow.js'
import { removeTestData, startTestService } from './harness.js'

const root = join(import.meta.dirname, '..', '..')

/** Runs `poisonguard …` from the sources in a child process, as a user would. */
function poisonguard(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', './test/fixtures/register-typescript.mjs', './test/cli/cli-process.ts', ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })))
}

describe('the audit and keys commands on a stopped server’s data folder', () => {
  test('`audit verify` exits 0 for the log and 4 once an entry is edited; `keys rotate` keeps it verifiable', async () => {
    const t = await startTestService()
    await setUpProject(t, { requireSigned: false })
    const head = (await t.call('GET', '/v1/audit/head', { token: t.adminToken })).body
    const publicKeyPem = (await t.call('GET', '/v1/audit/key', { token: t.adminToken })).body.publicKeyPem
    await t.stop({ keepData: true })
    const [headPath, keyPath] = [join(t.dataDir, 'head.json'), join(t.dataDir, 'audit.pub.pem')]
    writeFileSync(headPath, JSON.stringify(head))
    writeFileSync(keyPath, publicKeyPem)
    const verify = () =>
      poisonguard('audit', 'verify', '--head', headPath, '--pub', keyPath, '--data-dir', t.dataDir)

    const rotated = await poisonguard('keys', 'rotate', '--data-dir', t.dataDir)
    expect(rotated.code).toBe(0)
    expect(rotated.stdout).toMatch(
      /^rewrapped \d+ data keys under master key [0-9a-f]{16} \(now in .*master\.key\)\n$/,
    )
    expect(readFileSync(join(t.dataDir, 'master.key'), 'utf8')).toMatch(/^[A-Za-z0-9+/]{43}=\n$/)
    const good = await verify()
    expect([good.code, good.stdout]).toEqual([
      0,
      `verified: ${head.treeSize} audit entries match the signed tree head ${head.rootHash}\n`,
    ])

    const store = await openStore({ dataDir: t.dataDir })
    await store.db.deleteFrom('audit_log').where('seq', '=', 1).execute()
    await store.close()
    const bad = await verify()
    expect(bad.code).toBe(4)
    expect(bad.stderr).toContain('audit verification failed')
    await removeTestData(t.restartOptions)
  })
})
