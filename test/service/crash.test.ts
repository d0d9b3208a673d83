import { type ChildProcess, spawn } from 'node:child_process'
import { createPublicKey } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { verifyAuditLog } from '../../src/store/audit-verify.js'
import { cleanBatchCsv } from './data.js'
import { setUpProject } from './flow.js'
import { apiClient } from './harness.js'

/*
 * `kill -9` of a real `poisonguard serve` process while uploads arrive and a scan runs, then a restart on the
 * same data folder: every upload that was answered 202 is there, nothing half-written is visible, the interrupted
 * job runs again, and the store, the versions and the audit log reconcile.
 */
const root = join(import.meta.dirname, '..', '..')
const dataDir = mkdtempSync(join(tmpdir(), 'poisonguard-crash-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

/** Starts `poisonguard serve` from the TypeScript sources and resolves with its URL once it listens. */
function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      './test/fixtures/register-typescript.mjs',
      './test/cli/cli-process.ts',
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  return new Promise((resolve, reject) => {
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr)
      if (match) resolve({ child, url: match[1] })
    })
    child.on('exit', (code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)))
  })
}

function stopServer(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    child.on('exit', () => resolve())
    child.kill(signal)
  })
}

describe('a server killed with SIGKILL', () => {
  test('loses nothing it accepted and shows nothing half-written after a restart', async () => {
    const first = await startServer()
    const api = apiClient(first.url, readFileSync(join(dataDir, 'admin-token'), 'utf8').trim())
    const setup = await setUpProject(api, {
      requireSigned: false,
      maxBatchesPerHour: 1000,
      reviewOnSeverity: 'never',
      maxSevereShare: 0.2,
    })
    const answered: string[] = []
    const uploads = Array.from({ length: 8 }, (_, index) =>
      api
        .call('POST', `/v1/datasets/${setup.datasetId}/batches`, {
          token: setup.contributorToken,
          body: { sourceId: setup.sourceId, format: 'csv', data: cleanBatchCsv(600 + 20 * index, 20) },
        })
        .then((response) => {
          if (response.status === 202) answered.push(response.body.id)
        })
        .catch(() => undefined),
    )
    // Kill once some uploads were answered and the first intake is under way; the rest are cut off mid-flight.
    for (;;) {
      const batches = await api.call('GET', `/v1/datasets/${setup.datasetId}/batches`, {
        token: api.adminToken,
      })
      if (
        answered.length >= 4 &&
        batches.body.batches.some((batch: { attempts: number }) => batch.attempts > 0)
      )
        break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await stopServer(first.child, 'SIGKILL')
    await Promise.all(uploads)

    const second = await startServer()
    try {
      const restarted = apiClient(second.url, api.adminToken)
      let batches: { id: string; status: string; rows: number; versionId: string | null }[]
      for (;;) {
        batches = (
          await restarted.call('GET', `/v1/datasets/${setup.datasetId}/batches`, { token: api.adminToken })
        ).body.batches
        if (batches.every((batch) => batch.status !== 'pending')) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      // Every answered upload survived; an upload cut off before its answer either committed whole or not at all.
      expect(batches.map((batch) => batch.id)).toEqual(expect.arrayContaining(answered))
      const accepted = batches.filter((batch) => batch.status === 'accepted')
      expect(accepted.length).toBeGreaterThan(0)
      const dataset = (
        await restarted.call('GET', `/v1/datasets/${setup.datasetId}`, { token: api.adminToken })
      ).body
      expect(dataset.versions.map((version: { number: number }) => version.number)).toEqual(
        Array.from({ length: accepted.length + 1 }, (_, index) => index + 1),
      )
      expect(dataset.versions.at(-1).rows).toBe(400 + accepted.reduce((sum, batch) => sum + batch.rows, 0))
      expect(
        dataset.versions
          .slice(1)
          .map((version: { batchId: string }) => version.batchId)
          .sort(),
      ).toEqual(accepted.map((batch) => batch.id).sort())
      const entries = (await restarted.call('GET', '/v1/audit/entries', { token: api.adminToken })).body
        .entries
      const actions = entries.map((row: { entry: string }) => JSON.parse(row.entry))
      expect(actions.filter((entry: { action: string }) => entry.action === 'batch.submit')).toHaveLength(
        batches.length,
      )
      expect(actions.filter((entry: { action: string }) => entry.action === 'batch.gate')).toHaveLength(
        batches.length,
      )
      const head = (await restarted.call('GET', '/v1/audit/head', { token: api.adminToken })).body
      const key = createPublicKey(
        (await restarted.call('GET', '/v1/audit/key', { token: api.adminToken })).body.publicKeyPem,
      )
      expect(verifyAuditLog(entries, head, key).ok).toBe(true)
    } finally {
      await stopServer(second.child, 'SIGTERM')
    }
  })
})
