import { createHash, generateKeyPairSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { PoisonguardError } from '../errors.js'
import { version } from '../version.js'
import { createManifest } from './manifest.js'
import { readManifestFile } from './manifest-file.js'
import { merkleRoot } from './merkle.js'
import { readSidecar } from './sidecar.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-manifest-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(() => vi.unstubAllEnvs())

const { privateKey } = generateKeyPairSync('ed25519')
let counter = 0

function folder(): string {
  const path = join(dir, `case${++counter}`)
  mkdirSync(path)
  return path
}

/**
 * The v2 Merkle root straight from the documented definition: blocks of 1,024 records, each leaf
 * SHA-256(0x00 ‖ (body digest ‖ label JSON) per record), combined as RFC 6962.
 */
function blockRoot(digests: readonly Uint8Array[], labels: readonly (string | null)[]): string {
  const leaves: Buffer[] = []
  for (let start = 0; start < digests.length; start += 1024) {
    const hash = createHash('sha256').update(Buffer.of(0))
    for (let index = start; index < Math.min(start + 1024, digests.length); index++)
      hash.update(digests[index]).update(JSON.stringify(labels[index]))
    leaves.push(hash.digest())
  }
  return merkleRoot(leaves).toString('hex')
}

const SAMPLE = 'id,label,source,x\nr1,cat,vendor-x,1\nr2,dog,vendor-y,2.5\nr3,cat,vendor-x,\nr4,,vendor-x,4\n'

describe('createManifest', () => {
  it('writes an in-toto statement in a DSSE envelope with everything the predicate promises', async () => {
    const where = folder()
    const dataset = join(where, 'data.csv')
    writeFileSync(dataset, SAMPLE)
    const out = join(where, 'data.manifest.json')
    const created = await createManifest(dataset, {
      out,
      privateKey,
      transform: { command: 'dedupe v2', parameters: { z: '1', a: 'x' } },
      createdAt: new Date('2024-05-01T12:00:00Z'),
    })
    const manifest = await readManifestFile(out)
    expect(manifest.statement).toEqual(created.statement)
    expect(manifest.envelope.payloadType).toBe('application/vnd.in-toto+json')
    const { statement } = manifest
    expect(statement._type).toBe('https://in-toto.io/Statement/v1')
    expect(statement.predicateType).toBe('https://poisonguard.dev/manifest/v1')
    expect(statement.predicate.records.encoding).toBe('https://poisonguard.dev/canonical-record/v2')
    expect(statement.subject).toEqual([
      { name: 'data.csv', digest: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } },
    ])
    const { predicate } = statement
    expect(predicate.dataset).toEqual({
      format: 'csv',
      byteCount: SAMPLE.length,
      idColumn: 'id',
      labelColumn: 'label',
      sourceColumn: 'source',
      source: null,
    })
    expect(predicate.labels).toEqual({ counts: { cat: 2, dog: 1 }, unlabelled: 1 })
    expect(predicate.schema).toEqual([
      { name: 'id', type: 'string', nullable: false },
      { name: 'label', type: 'string', nullable: true },
      { name: 'source', type: 'string', nullable: false },
      { name: 'x', type: 'number', nullable: true },
    ])
    expect(predicate.transform).toEqual({
      tool: 'poisonguard',
      version,
      command: 'dedupe v2',
      parameters: { a: 'x', z: '1' },
    })
    expect(Object.keys(predicate.transform.parameters)).toEqual(['a', 'z'])
    expect(predicate.createdAt).toBe('2024-05-01T12:00:00.000Z')
    expect(predicate.records.digests.name).toBe('data.manifest.records.jsonl')

    const { table, sha256 } = await readSidecar(created.sidecarPath)
    expect(sha256).toBe(predicate.records.digests.digest.sha256)
    expect(table.ids).toEqual(['r1', 'r2', 'r3', 'r4'])
    expect(table.labels).toEqual(['cat', 'dog', 'cat', null])
    const digests = table.ids.map((_, index) => table.bodyDigest(index))
    expect(predicate.records.merkleRoot).toBe(blockRoot(digests, table.labels))
    const pick = (rows: number[]) =>
      blockRoot(
        rows.map((row) => digests[row]),
        rows.map((row) => table.labels[row]),
      )
    expect(predicate.sources).toEqual([
      { name: 'vendor-x', count: 3, merkleRoot: pick([0, 2, 3]) },
      { name: 'vendor-y', count: 1, merkleRoot: pick([1]) },
    ])
  })

  it('gives each source the Merkle root of its own records however the sources interleave', async () => {
    // Up to 3,000 records, so trees span several blocks and a second source can appear after the first block.
    const runs = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 1200 })), {
      minLength: 1,
      maxLength: 4,
    })
    await fc.assert(
      fc.asyncProperty(runs, async (runLengths) => {
        const names = runLengths.flatMap(([name, length]) => Array<string>(length).fill(name))
        const where = folder()
        const dataset = join(where, 'data.csv')
        writeFileSync(
          dataset,
          `id,source,x\n${names.map((name, row) => `r${row},${name},${row}`).join('\n')}\n`,
        )
        const created = await createManifest(dataset, { out: join(where, 'm.json'), privateKey })
        const { table } = await readSidecar(created.sidecarPath)
        const digests = table.ids.map((_, index) => table.bodyDigest(index))
        const labels = digests.map(() => null)
        const expected = [...new Set(names)].sort().map((name) => {
          const own = digests.filter((_, row) => names[row] === name)
          return { name, count: own.length, merkleRoot: blockRoot(own, labels.slice(0, own.length)) }
        })
        expect(created.statement.predicate.sources).toEqual(expected)
        expect(created.statement.predicate.records.merkleRoot).toBe(blockRoot(digests, labels))
      }),
      { numRuns: 12 },
    )
  })

  it('gives identical manifests for identical content', async () => {
    const rows = fc.array(
      fc.record({ label: fc.constantFrom('a', 'b', ''), x: fc.double({ noNaN: true }), text: fc.string() }),
      { maxLength: 20 },
    )
    await fc.assert(
      fc.asyncProperty(rows, async (records) => {
        const text = [
          'label,x,text',
          ...records.map((r) => `${r.label},${r.x},"${r.text.replaceAll('"', '""')}"`),
        ]
        const outputs = []
        for (const where of [folder(), folder()]) {
          writeFileSync(join(where, 'data.csv'), `${text.join('\n')}\n`)
          const out = join(where, 'data.manifest.json')
          await createManifest(join(where, 'data.csv'), { out, privateKey, createdAt: new Date(0) })
          outputs.push([
            readFileSync(out, 'utf8'),
            readFileSync(join(where, 'data.manifest.records.jsonl'), 'utf8'),
          ])
        }
        expect(outputs[1]).toEqual(outputs[0])
      }),
      { numRuns: 25 },
    )
  })

  it('uses SOURCE_DATE_EPOCH for the time, a constant source, and record numbers without an id column', async () => {
    vi.stubEnv('SOURCE_DATE_EPOCH', '1700000000')
    const where = folder()
    const dataset = join(where, 'data.jsonl')
    writeFileSync(dataset, '{"text":"a","label":1}\n\n{"label":2,"text":"b","extra":true}\n')
    const created = await createManifest(dataset, { out: join(where, 'm.json'), source: 'vendor-z' })
    const { predicate } = created.statement
    expect(predicate.createdAt).toBe('2023-11-14T22:13:20.000Z')
    expect(predicate.dataset).toMatchObject({
      format: 'jsonl',
      idColumn: null,
      sourceColumn: null,
      source: 'vendor-z',
    })
    expect(predicate.sources.map((source) => [source.name, source.count])).toEqual([['vendor-z', 2]])
    expect(predicate.schema).toEqual([
      { name: 'text', type: 'string', nullable: false },
      { name: 'label', type: 'integer', nullable: false },
      { name: 'extra', type: 'boolean', nullable: true },
    ])
    const { table } = await readSidecar(created.sidecarPath)
    expect(table.ids).toEqual(['1', '2'])
    expect(table.sources).toEqual(['vendor-z', 'vendor-z'])
  })

  it('refuses repeated ids and a missing column, and leaves no file behind', async () => {
    const where = folder()
    const dataset = join(where, 'data.csv')
    writeFileSync(dataset, 'id,label\na,1\nb,2\na,3\n')
    const duplicate = await createManifest(dataset, { out: join(where, 'm.json') }).catch(
      (error: unknown) => error,
    )
    expect(duplicate).toBeInstanceOf(PoisonguardError)
    expect((duplicate as PoisonguardError).code).toBe('DUPLICATE_ID')
    expect((duplicate as PoisonguardError).message).toMatch(/id "a" is on rows 1 and 3/)
    const missing = await createManifest(dataset, { out: join(where, 'm.json'), label: 'class' }).catch(
      (error: unknown) => error,
    )
    expect((missing as PoisonguardError).code).toBe('MISSING_COLUMN')
    expect((missing as PoisonguardError).message).toMatch(/there is no column "class" \(--label\)/)
    expect(readdirSync(where)).toEqual(['data.csv'])
  })

  it('records parents by the digest of their manifest file and their path relative to the child', async () => {
    const where = folder()
    mkdirSync(join(where, 'v1'))
    writeFileSync(join(where, 'v1', 'data.csv'), SAMPLE)
    const parent = await createManifest(join(where, 'v1', 'data.csv'), {
      out: join(where, 'v1', 'data.manifest.json'),
    })
    writeFileSync(join(where, 'data.csv'), SAMPLE.replace('r4,,', 'r4,dog,'))
    const child = await createManifest(join(where, 'data.csv'), {
      out: join(where, 'data.manifest.json'),
      parents: [parent.manifestPath],
    })
    const parentFile = await readManifestFile(parent.manifestPath)
    expect(child.statement.predicate.parents).toEqual([
      {
        name: 'v1/data.manifest.json',
        digest: { sha256: parentFile.sha256 },
        subject: parent.statement.subject,
      },
    ])
    const notManifest = await createManifest(join(where, 'data.csv'), {
      out: join(where, 'other.manifest.json'),
      parents: [join(where, 'data.csv')],
    }).catch((error: unknown) => error)
    expect((notManifest as PoisonguardError).code).toBe('PARSE_ERROR')
  })
})
