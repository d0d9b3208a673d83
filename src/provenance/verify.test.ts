import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEnvelope, IN_TOTO_PAYLOAD_TYPE } from './dsse.js'
import { createManifest } from './manifest.js'
import { sidecarPathFor } from './sidecar.js'
import type { ManifestPredicate } from './statement.js'
import { type DatasetVerification, verifyDatasetAgainstManifest } from './verify.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-verify-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const signer = generateKeyPairSync('ed25519')
const stranger = generateKeyPairSync('ed25519')
const SOURCES = ['vendor-x', 'vendor-y', 'crawl']

function datasetText(rows = 12): string {
  const lines = ['id,label,source,x,text']
  for (let row = 1; row <= rows; row++)
    lines.push(`r${row},${row % 3},${SOURCES[row % 3]},${(row * 0.25).toFixed(2)},"note ${row}, ok"`)
  return `${lines.join('\n')}\n`
}

let counter = 0
/** A fresh folder holding data.csv and its signed manifest. */
async function signedCopy(
  text = datasetText(),
): Promise<{ dataset: string; manifest: string; folder: string }> {
  const folder = mkdtempSync(join(dir, `case${++counter}-`))
  const dataset = join(folder, 'data.csv')
  writeFileSync(dataset, text)
  const manifest = join(folder, 'data.manifest.json')
  await createManifest(dataset, { out: manifest, privateKey: signer.privateKey, createdAt: new Date(0) })
  return { dataset, manifest, folder }
}

function verify(dataset: string, manifest: string, publicKey: KeyObject = signer.publicKey) {
  return verifyDatasetAgainstManifest(dataset, manifest, { publicKey, requireSigned: true })
}

function checks(result: DatasetVerification): string[] {
  return result.failures.map((failure) => failure.check)
}

function message(result: DatasetVerification, check: string): string {
  return result.failures.find((failure) => failure.check === check)?.message ?? ''
}

function rewritePayload(manifest: string, edit: (statement: string) => string): void {
  const envelope = JSON.parse(readFileSync(manifest, 'utf8'))
  const statement = Buffer.from(envelope.payload, 'base64').toString()
  envelope.payload = Buffer.from(edit(statement)).toString('base64')
  writeFileSync(manifest, JSON.stringify(envelope))
}

/** Edits the statement and signs it again with the real key: a manifest its signer got wrong. */
function resign(manifest: string, edit: (predicate: ManifestPredicate) => void): void {
  const envelope = JSON.parse(readFileSync(manifest, 'utf8'))
  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString())
  edit(statement.predicate)
  const resigned = createEnvelope(
    IN_TOTO_PAYLOAD_TYPE,
    Buffer.from(JSON.stringify(statement)),
    signer.privateKey,
  )
  writeFileSync(manifest, JSON.stringify(resigned))
}

describe('verifyDatasetAgainstManifest', () => {
  let pristine: { dataset: string; manifest: string; folder: string }
  beforeAll(async () => {
    pristine = await signedCopy()
  })

  it('verifies an untouched dataset and gives every record its attested source', async () => {
    const result = await verify(pristine.dataset, pristine.manifest)
    expect(result.failures).toEqual([])
    expect(result.verdict).toBe('verified')
    expect(result.signature.status).toBe('valid')
    expect(result.records?.unchanged).toBe(12)
    expect(result.sourceById.get('r4')).toBe('vendor-y')
    expect(result.sourcesInOrder.slice(0, 3)).toEqual(['vendor-y', 'crawl', 'vendor-x'])
  })

  it('names the changed record and its source when one byte of a value flips', async () => {
    const { dataset, manifest } = await signedCopy()
    writeFileSync(dataset, readFileSync(dataset, 'utf8').replace('r5,2,crawl,1.25', 'r5,2,crawl,1.35'))
    const result = await verify(dataset, manifest)
    expect(checks(result)).toEqual(['file-digest', 'changed'])
    expect(message(result, 'file-digest')).toMatch(
      /the manifest was made for data\.csv with sha256 [0-9a-f]{64}/,
    )
    expect(message(result, 'changed')).toBe('1 record changed: id "r5" (source "crawl"): content changed')
    expect(result.sourceById.get('r5')).toBe('crawl')
  })

  it('singles out a flipped label', async () => {
    const { dataset, manifest } = await signedCopy()
    writeFileSync(dataset, readFileSync(dataset, 'utf8').replace('r7,1,', 'r7,2,'))
    const result = await verify(dataset, manifest)
    expect(message(result, 'changed')).toBe(
      '1 record changed (1 only in their label): id "r7" (source "vendor-y"): label "1" → "2", label only',
    )
  })

  it('detects a flipped bit at every byte position of the dataset', async () => {
    const { dataset, manifest } = await signedCopy(datasetText(4))
    const original = readFileSync(dataset)
    for (let position = 0; position < original.length; position++) {
      const tampered = Buffer.from(original)
      tampered[position] ^= 0x01
      writeFileSync(dataset, tampered)
      const result = await verify(dataset, manifest)
      expect(result.ok, `byte ${position}`).toBe(false)
      expect(checks(result)[0], `byte ${position}`).toBe('file-digest')
      expect(result.failures.length, `byte ${position}: ${checks(result)}`).toBeGreaterThan(1)
    }
  })

  it('reports added, removed and reordered records', async () => {
    const { dataset, manifest } = await signedCopy()
    const lines = readFileSync(dataset, 'utf8').trimEnd().split('\n')
    const [header, ...rows] = lines
    const edited = [header, rows[1], rows[0], ...rows.slice(2, 10), 'r99,0,crawl,9,"new"']
    writeFileSync(dataset, `${edited.join('\n')}\n`)
    const result = await verify(dataset, manifest)
    expect(checks(result)).toEqual(['file-digest', 'added', 'removed', 'order'])
    expect(message(result, 'added')).toBe('1 record not in the manifest (added): id "r99" (source "crawl")')
    expect(message(result, 'removed')).toBe(
      '2 records of the manifest missing (removed): id "r11" (source "crawl"); id "r12" (source "vendor-x")',
    )
    expect(message(result, 'order')).toBe('records reordered: 1 record moved relative to the others')
  })

  it('reports a repeated record', async () => {
    const { dataset, manifest } = await signedCopy()
    writeFileSync(dataset, `${readFileSync(dataset, 'utf8')}r3,0,crawl,0.75,"note 3, ok"\n`)
    const result = await verify(dataset, manifest)
    expect(checks(result)).toEqual(['file-digest', 'added', 'duplicate-ids'])
    expect(message(result, 'duplicate-ids')).toBe('repeated id: "r3"')
  })

  it('accepts the records of a re-encoded copy but not its file digest', async () => {
    const { dataset, manifest, folder } = await signedCopy()
    const copy = join(folder, 'data-copy.csv')
    writeFileSync(copy, readFileSync(dataset, 'utf8').replaceAll('\n', '\r\n'))
    const result = await verify(copy, manifest)
    expect(checks(result)).toEqual(['file-digest'])
    expect(message(result, 'file-digest')).toMatch(/every record matches, so the file was re-encoded/)
  })

  it('detects an altered manifest payload as a bad signature', async () => {
    const { dataset, manifest } = await signedCopy()
    rewritePayload(manifest, (statement) => statement.replace('"count":12', '"count":13'))
    const result = await verify(dataset, manifest)
    expect(checks(result)[0]).toBe('signature')
    expect(message(result, 'signature')).toMatch(
      /^bad signature: the signature does not match the payload: the manifest payload or its signature was altered after signing \(key id [0-9a-f]{64}\)$/,
    )
  })

  it('detects a flipped byte in the base64 payload text and one that breaks the encoding', async () => {
    const { dataset, manifest } = await signedCopy()
    const envelope = JSON.parse(readFileSync(manifest, 'utf8'))
    const payload: string = envelope.payload
    envelope.payload = `${payload.slice(0, 40)}${payload[40] === 'A' ? 'B' : 'A'}${payload.slice(41)}`
    writeFileSync(manifest, JSON.stringify(envelope))
    const flipped = await verify(dataset, manifest)
    expect(flipped.ok).toBe(false)
    expect(['signature', 'manifest']).toContain(checks(flipped)[0])
    envelope.payload = `${payload.slice(0, 40)}!${payload.slice(41)}`
    writeFileSync(manifest, JSON.stringify(envelope))
    const broken = await verify(dataset, manifest)
    expect(broken.failures).toEqual([
      {
        check: 'manifest',
        message: `${manifest}, payload: the envelope payload is not valid base64 (the manifest was altered or damaged)`,
      },
    ])
  })

  it('detects a flipped byte in the signature', async () => {
    const { dataset, manifest } = await signedCopy()
    const envelope = JSON.parse(readFileSync(manifest, 'utf8'))
    const signature = Buffer.from(envelope.signatures[0].sig, 'base64')
    signature[5] ^= 0x10
    envelope.signatures[0].sig = signature.toString('base64')
    writeFileSync(manifest, JSON.stringify(envelope))
    const result = await verify(dataset, manifest)
    expect(checks(result)).toEqual(['signature'])
    expect(message(result, 'signature')).toMatch(/^bad signature: /)
  })

  it('detects a flipped byte in the record digest file', async () => {
    const { dataset, manifest } = await signedCopy()
    const sidecar = sidecarPathFor(manifest)
    const bytes = readFileSync(sidecar)
    bytes[bytes.length - 10] ^= 0x01
    writeFileSync(sidecar, bytes)
    const result = await verify(dataset, manifest)
    expect(checks(result)).toEqual(['record-digests'])
    expect(message(result, 'record-digests')).toMatch(
      /^record digest file data\.manifest\.records\.jsonl was altered: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}$/,
    )
  })

  it('still names the differing sources when the record digest file is gone', async () => {
    const { dataset, manifest } = await signedCopy()
    rmSync(sidecarPathFor(manifest))
    writeFileSync(dataset, readFileSync(dataset, 'utf8').replace('r5,2,crawl,1.25', 'r5,2,crawl,1.35'))
    const result = await verify(dataset, manifest)
    expect(checks(result)).toEqual(['record-digests', 'file-digest', 'merkle-root', 'sources'])
    expect(message(result, 'sources')).toBe('records differ in source "crawl" (4 records, manifest 4)')
  })

  it('detects a different key, and a manifest re-signed by another key', async () => {
    const result = await verify(pristine.dataset, pristine.manifest, stranger.publicKey)
    expect(checks(result)).toEqual(['signature'])
    expect(message(result, 'signature')).toMatch(
      /^wrong key: the manifest is signed by key id [0-9a-f]{64}, not by the given public key \(key id [0-9a-f]{64}\)$/,
    )
    const forged = join(dir, 'forged.manifest.json')
    await createManifest(pristine.dataset, { out: forged, privateKey: stranger.privateKey })
    const resigned = await verify(pristine.dataset, forged)
    expect(checks(resigned)).toEqual(['signature'])
    expect(message(resigned, 'signature')).toMatch(/^wrong key: /)
  })

  it('detects an old manifest replayed for a new dataset', async () => {
    const old = await signedCopy()
    const { dataset } = await signedCopy(datasetText(13))
    const result = await verify(dataset, old.manifest)
    expect(checks(result)).toEqual(['file-digest', 'added'])
    expect(message(result, 'added')).toBe(
      '1 record not in the manifest (added): id "r13" (source "vendor-y")',
    )
  })

  it('refuses an unsigned manifest when a signature is required, and notes an unchecked one', async () => {
    const folder = mkdtempSync(join(dir, 'unsigned-'))
    const dataset = join(folder, 'data.csv')
    writeFileSync(dataset, datasetText())
    const manifest = join(folder, 'data.manifest.json')
    await createManifest(dataset, { out: manifest })
    expect(message(await verify(dataset, manifest), 'signature')).toMatch(
      /manifest is unsigned, but it must be signed/,
    )
    const required = await verifyDatasetAgainstManifest(dataset, manifest, { requireSigned: true })
    expect(message(required, 'signature')).toBe(
      'a signature is required, but no public key was given to check it',
    )
    const lenient = await verifyDatasetAgainstManifest(dataset, manifest)
    expect(lenient.ok).toBe(true)
    expect(lenient.signature).toEqual({ status: 'unsigned' })
    expect(lenient.notes).toEqual(['the manifest is unsigned; only digests were checked'])
  })

  it('fails a validly signed manifest whose summary claims its own records do not bear out', async () => {
    const { dataset, manifest } = await signedCopy()
    resign(manifest, (predicate) => {
      predicate.records.count = 13
      predicate.labels.counts['0'] += 1
      predicate.labels.counts['1'] -= 1
      predicate.sources.find((source) => source.name === 'crawl')!.count = 40
    })
    const result = await verify(dataset, manifest)
    expect(result.signature.status).toBe('valid')
    expect(checks(result)).toEqual(['record-count', 'label-counts', 'source-counts'])
    expect(message(result, 'record-count')).toBe(
      'the manifest claims 13 records (records.count), but the data has 12',
    )
    expect(message(result, 'label-counts')).toBe(
      'the signed claim labels.counts does not match the data: "0" claimed 5, found 4; "1" claimed 3, found 4',
    )
    expect(message(result, 'source-counts')).toBe(
      'the signed claim sources does not match the data: "crawl" claimed 40, found 4',
    )
  })

  it('reports a manifest that is not JSON as a failure, and a missing dataset as an error', async () => {
    const broken = join(dir, 'broken.manifest.json')
    writeFileSync(broken, '{"payloadType": ')
    const result = await verify(pristine.dataset, broken)
    expect(checks(result)).toEqual(['manifest'])
    expect(message(result, 'manifest')).toMatch(/the manifest is not valid JSON/)
    await expect(verify(join(dir, 'missing.csv'), pristine.manifest)).rejects.toThrow(/no such file/)
  })
})
