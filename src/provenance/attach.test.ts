import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeLabels } from '../data/dataset.js'
import { loadDataset } from '../io/index.js'
import { attestDataset } from './attach.js'
import { createManifest } from './manifest.js'
import { verifyDatasetAgainstManifest } from './verify.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-attach-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const signer = generateKeyPairSync('ed25519')
const dataset = join(dir, 'data.csv')
writeFileSync(dataset, 'id,label,x\n1,1.0,0.5\n2,2,1.5\n3,2,2.5\n')
const signed = join(dir, 'signed.manifest.json')
const unsigned = join(dir, 'unsigned.manifest.json')
await createManifest(dataset, { out: signed, privateKey: signer.privateKey, source: 'vendor-x' })
await createManifest(dataset, { out: unsigned })

describe('attestDataset', () => {
  it('attaches attested sources and says how far the signature was checked', async () => {
    const loaded = await loadDataset(dataset)
    const verified = await verifyDatasetAgainstManifest(dataset, signed, { publicKey: signer.publicKey })
    const attested = attestDataset(loaded, verified)
    expect(attested.verification.failures).toEqual([])
    expect(attested.dataset.sources).toEqual(['vendor-x', 'vendor-x', 'vendor-x'])
    expect(attested.provenance).toMatchObject({ manifest: signed, signature: 'verified' })
    expect(attested.provenance?.manifestSha256).toMatch(/^[0-9a-f]{64}$/)
    const unchecked = attestDataset(loaded, await verifyDatasetAgainstManifest(dataset, signed))
    expect(unchecked.provenance?.signature).toBe('unchecked')
    expect(unchecked.provenance?.keyIds).toHaveLength(1)
    const none = attestDataset(loaded, await verifyDatasetAgainstManifest(dataset, unsigned))
    expect(none.provenance).toMatchObject({ signature: 'unsigned', keyIds: [] })
  })

  it('fails when the loaded records do not bear out the signed counts', async () => {
    const loaded = await loadDataset(dataset)
    const relabelled = { ...loaded, labels: encodeLabels('label', ['1', '1', '2']) }
    const verification = await verifyDatasetAgainstManifest(dataset, signed, { publicKey: signer.publicKey })
    const attested = attestDataset(relabelled, verification)
    expect(attested.verification.ok).toBe(false)
    expect(attested.provenance).toBeUndefined()
    expect(attested.verification.failures).toEqual([
      {
        check: 'label-counts',
        message:
          'the signed claim labels.counts does not match the data: "1" claimed 1, found 2; "2" claimed 2, found 1',
      },
    ])
  })
})
