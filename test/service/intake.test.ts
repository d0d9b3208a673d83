import { createPublicKey } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { verifyDatasetAgainstManifest } from '../../src/provenance/verify.js'
import { backdoorBatchCsv, cleanBatchCsv, flippedBatchCsv, referenceCsv } from './data.js'
import { ed25519Keys, type ProjectSetup, setUpProject, signBatch, submitAndWait } from './flow.js'
import { startTestService, type TestService } from './harness.js'

/*
 * The intake pipeline end to end over HTTP on the embedded store: a signed clean batch becomes the next version;
 * flipped labels, a planted backdoor, a broken signature and a key nobody registered are each stopped at the gate
 * with the stage that stopped them.
 */
describe('intake over HTTP (SQLite)', () => {
  let t: TestService
  let setup: ProjectSetup
  beforeAll(async () => {
    t = await startTestService()
    setup = await setUpProject(t, { requireSigned: true, quarantineSourceAfter: 10 })
  })
  afterAll(() => t.stop())

  test('a signed clean batch is accepted as version 2, and its export verifies with the server key', async () => {
    const csv = cleanBatchCsv(600, 60)
    const batch = await submitAndWait(t, setup, csv, await signBatch(csv, setup.privateKey))
    expect(batch.status, batch.reason).toBe('accepted')
    expect(batch.result.signature.status).toBe('verified')
    const dataset = await t.call('GET', `/v1/datasets/${setup.datasetId}`, { token: t.adminToken })
    expect(
      dataset.body.versions.map((version: { number: number; rows: number }) => [
        version.number,
        version.rows,
      ]),
    ).toEqual([
      [1, 400],
      [2, 460],
    ])
    expect(dataset.body.currentVersionId).toBe(batch.versionId)
    const exported = await t.exportVersion(batch.versionId, t.adminToken)
    expect(exported.status).toBe(200)
    expect(exported.body.data).toBe(referenceCsv() + csv.slice(csv.indexOf('\n') + 1))
    const key = await t.call('GET', '/v1/audit/key', { token: t.adminToken })
    const folder = mkdtempSync(join(tmpdir(), 'poisonguard-export-'))
    try {
      writeFileSync(join(folder, 'v2.csv'), exported.body.data)
      writeFileSync(join(folder, 'v2.manifest.json'), exported.body.manifest)
      writeFileSync(join(folder, 'v2.manifest.records.jsonl'), exported.body.sidecar)
      const verification = await verifyDatasetAgainstManifest(
        join(folder, 'v2.csv'),
        join(folder, 'v2.manifest.json'),
        {
          publicKey: createPublicKey(key.body.publicKeyPem),
          requireSigned: true,
        },
      )
      expect(verification.failures).toEqual([])
      expect(verification.predicate?.parents).toHaveLength(1)
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })

  test('flipped labels are quarantined by the scan', async () => {
    const csv = flippedBatchCsv()
    const batch = await submitAndWait(t, setup, csv, await signBatch(csv, setup.privateKey))
    expect(batch.status).toBe('quarantined')
    expect(batch.result.reasons.map((reason: { stage: string }) => reason.stage)).toContain('scan')
    expect(batch.versionId).toBeNull()
  })

  test('a planted backdoor is quarantined by the scan', async () => {
    const csv = backdoorBatchCsv()
    const batch = await submitAndWait(t, setup, csv, await signBatch(csv, setup.privateKey))
    expect(batch.status).toBe('quarantined')
    expect(batch.result.reasons.map((reason: { stage: string }) => reason.stage)).toContain('scan')
  })

  test('a batch changed after signing fails the signature stage', async () => {
    const csv = cleanBatchCsv(700, 40)
    const signed = await signBatch(csv, setup.privateKey)
    const lines = csv.split('\n')
    lines[5] = lines[5].replace(/,(\d+)$/, (_, value: string) => `,${(Number(value) + 1) % 17}`)
    const batch = await submitAndWait(t, setup, lines.join('\n'), signed)
    expect(batch.status).toBe('quarantined')
    expect(batch.result.signature.status).toBe('failed')
    expect(batch.reason).toMatch(/^signature: /)
  })

  test('a batch signed by a key nobody registered fails the signature stage', async () => {
    const csv = cleanBatchCsv(740, 40)
    const batch = await submitAndWait(t, setup, csv, await signBatch(csv, ed25519Keys().privateKey))
    expect(batch.status).toBe('quarantined')
    expect(batch.reason).toMatch(/signature: .*wrong key/)
  })

  test('an unsigned batch is refused when the policy requires signatures', async () => {
    const batch = await submitAndWait(t, setup, cleanBatchCsv(780, 40))
    expect(batch.status).toBe('quarantined')
    expect(batch.reason).toMatch(/no signed manifest/)
  })

  test('the version history did not move for any stopped batch', async () => {
    const dataset = await t.call('GET', `/v1/datasets/${setup.datasetId}`, { token: t.adminToken })
    expect(dataset.body.versions).toHaveLength(2)
    const batches = await t.call('GET', `/v1/datasets/${setup.datasetId}/batches`, {
      token: setup.contributorToken,
    })
    expect(batches.body.batches.map((batch: { status: string }) => batch.status).sort()).toEqual([
      'accepted',
      'quarantined',
      'quarantined',
      'quarantined',
      'quarantined',
      'quarantined',
    ])
  })
})
