import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { canonicalText, digestBody } from './canonical.js'
import { createManifest } from './manifest.js'
import { readSidecar } from './sidecar.js'
import { verifyDatasetAgainstManifest } from './verify.js'

// Written by the release that made one Merkle leaf per record (canonical-record/v1), signed with key.pub.pem.
const FIXTURE = join(import.meta.dirname, '../../test/fixtures/manifest-v1')
const dir = mkdtempSync(join(tmpdir(), 'poisonguard-manifest-v1-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A folder holding a copy of the fixture whose dataset `edit` changed. */
function fixtureCopy(name: string, edit: (csv: string) => string): string {
  const where = join(dir, name)
  mkdirSync(where)
  for (const file of ['data.manifest.json', 'data.manifest.records.jsonl'])
    copyFileSync(join(FIXTURE, file), join(where, file))
  writeFileSync(join(where, 'data.csv'), edit(readFileSync(join(FIXTURE, 'data.csv'), 'utf8')))
  return where
}

describe('manifests in the v1 record encoding', () => {
  it('still verify, signature included', async () => {
    const result = await verifyDatasetAgainstManifest(
      join(FIXTURE, 'data.csv'),
      join(FIXTURE, 'data.manifest.json'),
      { publicKeyPath: join(FIXTURE, 'key.pub.pem'), requireSigned: true },
    )
    expect(result.failures).toEqual([])
    expect(result.predicate?.records.encoding).toBe('https://poisonguard.dev/canonical-record/v1')
    expect(result.merkleRoot?.actual).toBe(result.predicate?.records.merkleRoot)
  })

  it('name the one record whose label changed', async () => {
    const where = fixtureCopy('flipped', (csv) => csv.replace('\nr2,dog,', '\nr2,cat,'))
    const result = await verifyDatasetAgainstManifest(
      join(where, 'data.csv'),
      join(where, 'data.manifest.json'),
    )
    expect(result.ok).toBe(false)
    expect(result.records?.changed).toEqual([
      expect.objectContaining({ id: 'r2', label: 'cat', previousLabel: 'dog', labelOnly: true }),
    ])
    expect(result.records?.unchanged).toBe(39)
  })

  it('have the same record digests as a new manifest of the same data, which is v2', async () => {
    const out = join(dir, 'again.manifest.json')
    const created = await createManifest(join(FIXTURE, 'data.csv'), { out })
    expect(created.statement.predicate.records.encoding).toBe('https://poisonguard.dev/canonical-record/v2')
    // Same bodies, read from bytes now and from text then (quoted, escaped, non-ASCII and numeric cells).
    expect(readFileSync(created.sidecarPath, 'utf8')).toBe(
      readFileSync(join(FIXTURE, 'data.manifest.records.jsonl'), 'utf8'),
    )
  })
})

describe('record bodies read from CSV bytes', () => {
  it('digest every numeral as its canonical text', async () => {
    const numeral = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.stringMatching(/^-?(0|[1-9]\d{0,18})(\.\d{1,18})?([eE][+-]?\d{1,3})?$/),
      fc.stringMatching(/^-?\d{1,4}(\.\d{0,6})?$/),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(numeral, { minLength: 1, maxLength: 30 }), async (cells) => {
        const dataset = join(dir, 'numerals.csv')
        writeFileSync(dataset, `id,x\n${cells.map((cell, row) => `${row + 1},${cell}`).join('\n')}\n`)
        rmSync(join(dir, 'numerals.manifest.records.jsonl'), { force: true })
        const created = await createManifest(dataset, { out: join(dir, 'numerals.manifest.json') })
        const { table } = await readSidecar(created.sidecarPath)
        cells.forEach((cell, row) => {
          const body = `{"id":"${row + 1}","x":${JSON.stringify(canonicalText(cell))}}`
          expect(Buffer.from(table.bodyDigest(row)).toString('hex')).toBe(digestBody(body).toString('hex'))
        })
      }),
      { numRuns: 30 },
    )
  })
})
