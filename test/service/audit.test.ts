import { createHash, createPublicKey } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { leafHash } from '../../src/provenance/merkle.js'
import {
  consistencyProof,
  inclusionProof,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/store/audit-tree.js'
import { verifyAuditLog, verifyStoredAuditLog } from '../../src/store/audit-verify.js'
import { cleanBatchCsv } from './data.js'
import { setUpProject, submitAndWait } from './flow.js'
import { startTestService, type TestService } from './harness.js'

/** The eight leaves of the RFC 6962 test vectors (certificate-transparency's merkle_tree_test). */
const leaves = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => leafHash(Buffer.from(hex, 'hex')))
/** Published roots of the trees of the first 1…8 leaves. */
const roots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]
/** Published audit paths: [0-based leaf, tree size, path]. */
const inclusionVectors: [number, number, string[]][] = [
  [0, 1, []],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
]
/** Published consistency proofs: [first size, second size, proof]. */
const consistencyVectors: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
]

const hex = (buffers: Buffer[]) => buffers.map((buffer) => buffer.toString('hex'))
const unhex = (strings: string[]) => strings.map((value) => Buffer.from(value, 'hex'))

describe('RFC 6962 audit tree', () => {
  test('tree hashes match the published roots, and the empty tree is SHA-256 of nothing', () => {
    expect(roots.map((_, size) => treeHash(leaves.slice(0, size + 1)).toString('hex'))).toEqual(roots)
    expect(treeHash([]).toString('hex')).toBe(createHash('sha256').digest('hex'))
  })

  test('inclusion proofs match the published paths and verify', () => {
    for (const [index, size, path] of inclusionVectors) {
      expect(hex(inclusionProof(leaves.slice(0, size), index))).toEqual(path)
      expect(
        verifyInclusion(leaves[index], index, size, unhex(path), Buffer.from(roots[size - 1], 'hex')),
      ).toBe(true)
    }
  })

  test('consistency proofs match the published proofs and verify', () => {
    for (const [first, second, proof] of consistencyVectors) {
      expect(hex(consistencyProof(leaves.slice(0, second), first))).toEqual(proof)
      const [firstRoot, secondRoot] = [roots[first - 1], roots[second - 1]].map((root) =>
        Buffer.from(root, 'hex'),
      )
      expect(verifyConsistency(first, second, firstRoot, secondRoot, unhex(proof))).toBe(true)
    }
  })

  test('every proof of every tree up to 8 leaves verifies, and fails against another root', () => {
    for (let size = 1; size <= 8; size++) {
      const root = Buffer.from(roots[size - 1], 'hex')
      const wrongRoot = Buffer.from(roots[size % 8], 'hex')
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(leaves.slice(0, size), index)
        expect(verifyInclusion(leaves[index], index, size, proof, root)).toBe(true)
        expect(verifyInclusion(leaves[(index + 1) % 8], index, size, proof, root)).toBe(false)
        expect(verifyInclusion(leaves[index], index, size, proof, wrongRoot)).toBe(false)
      }
      for (let first = 1; first < size; first++) {
        const proof = consistencyProof(leaves.slice(0, size), first)
        const firstRoot = Buffer.from(roots[first - 1], 'hex')
        expect(verifyConsistency(first, size, firstRoot, root, proof)).toBe(true)
        expect(verifyConsistency(first, size, leaves[7], root, proof)).toBe(false)
      }
    }
  })
})

describe('audit log of the service', () => {
  let t: TestService
  beforeAll(async () => {
    t = await startTestService()
    const setup = await setUpProject(t, { requireSigned: false })
    await submitAndWait(t, setup, cleanBatchCsv(600, 30))
  })
  afterAll(() => t.stop())

  test('logs every state change, in order, with the gate decision', async () => {
    const entries = await t.call('GET', '/v1/audit/entries', { token: t.adminToken })
    const actions = entries.body.entries.map((row: { entry: string }) => JSON.parse(row.entry).action)
    expect(actions).toEqual([
      'user.create',
      'project.create',
      'user.create',
      'member.role',
      'source.create',
      'dataset.create',
      'batch.submit',
      'batch.gate',
    ])
  })

  test('signed tree heads, inclusion and consistency proofs over the API verify', async () => {
    const key = createPublicKey(
      (await t.call('GET', '/v1/audit/key', { token: t.adminToken })).body.publicKeyPem,
    )
    const entries = (await t.call('GET', '/v1/audit/entries', { token: t.adminToken })).body.entries
    const head = (await t.call('GET', '/v1/audit/head', { token: t.adminToken })).body
    expect(head.treeSize).toBe(entries.length)
    expect(verifyAuditLog(entries, head, key)).toEqual({ ok: true, entries: entries.length, failures: [] })
    const root = Buffer.from(head.rootHash, 'hex')
    for (const row of entries) {
      const proof = await t.call('GET', `/v1/audit/proofs/inclusion?index=${row.seq}`, {
        token: t.adminToken,
      })
      expect(proof.body.leafHash).toBe(leafHash(Buffer.from(row.entry)).toString('hex'))
      expect(
        verifyInclusion(
          leafHash(Buffer.from(row.entry)),
          row.seq,
          head.treeSize,
          unhex(proof.body.proof),
          root,
        ),
      ).toBe(true)
    }
    const earlier = (await t.call('GET', '/v1/audit/head?treeSize=3', { token: t.adminToken })).body
    const consistency = await t.call('GET', `/v1/audit/proofs/consistency?first=3&second=${head.treeSize}`, {
      token: t.adminToken,
    })
    expect(
      verifyConsistency(
        3,
        head.treeSize,
        Buffer.from(earlier.rootHash, 'hex'),
        root,
        unhex(consistency.body.proof),
      ),
    ).toBe(true)
  })

  test('the stored log verifies offline against a saved head, until an entry is edited in the database', async () => {
    const head = (await t.call('GET', '/v1/audit/head', { token: t.adminToken })).body
    const key = createPublicKey(
      (await t.call('GET', '/v1/audit/key', { token: t.adminToken })).body.publicKeyPem,
    )
    // A second connection to the same SQLite file, as `poisonguard audit verify --data-dir` opens it.
    const good = await verifyStoredAuditLog({ dataDir: t.dataDir }, head, key)
    expect(good).toEqual({ ok: true, entries: head.treeSize, failures: [] })
    // Someone with write access to the database rewrites history: the gate's decision becomes a reviewer's.
    const gate = await t.service.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '=', head.treeSize - 1)
      .executeTakeFirstOrThrow()
    expect(gate.entry).toContain('"action":"batch.gate"')
    await t.service.store.db
      .updateTable('audit_log')
      .set({ entry: gate.entry.replace('"action":"batch.gate"', '"action":"batch.review"') })
      .where('seq', '=', gate.seq)
      .execute()
    const bad = await verifyStoredAuditLog({ dataDir: t.dataDir }, head, key)
    expect(bad.ok).toBe(false)
    expect(bad.failures).toEqual([expect.stringMatching(/the log was changed/)])
  })

  test('a tree head whose signature does not match is refused', async () => {
    const head = (await t.call('GET', '/v1/audit/head', { token: t.adminToken })).body
    const key = createPublicKey(
      (await t.call('GET', '/v1/audit/key', { token: t.adminToken })).body.publicKeyPem,
    )
    const entries = (await t.call('GET', '/v1/audit/entries', { token: t.adminToken })).body.entries
    const result = verifyAuditLog(entries, { ...head, treeSize: head.treeSize - 1 }, key)
    expect(result.failures[0]).toMatch(/signature does not verify/)
  })
})
