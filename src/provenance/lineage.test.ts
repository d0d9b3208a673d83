import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { traceLineage } from './lineage.js'
import { createManifest } from './manifest.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-lineage-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const signer = generateKeyPairSync('ed25519')
const stranger = generateKeyPairSync('ed25519')
let counter = 0

/** v1 ← v2 ← v3 in one folder, plus an independent side branch merged into v3. */
async function chain() {
  const folder = join(dir, `chain${++counter}`)
  mkdirSync(folder)
  const manifest = async (name: string, rows: number, parents: string[], command?: string) => {
    const dataset = join(folder, `${name}.csv`)
    writeFileSync(
      dataset,
      ['id,label', ...Array.from({ length: rows }, (_, row) => `${row},${row % 2}`)].join('\n'),
    )
    const out = join(folder, `${name}.manifest.json`)
    await createManifest(dataset, { out, privateKey: signer.privateKey, parents, transform: { command } })
    return out
  }
  const v1 = await manifest('v1', 5, [])
  const side = await manifest('side', 2, [])
  const v2 = await manifest('v2', 4, [v1], 'dedupe v2')
  const v3 = await manifest('v3', 6, [v2, side, v1], 'merge')
  return { folder, v1, v2, v3, side }
}

describe('traceLineage', () => {
  it('walks the DAG of parents, verifying every digest and signature', async () => {
    const { v1, v2, v3, side } = await chain()
    const lineage = await traceLineage(v3, { publicKey: signer.publicKey })
    expect(lineage.failures).toEqual([])
    expect(lineage.ok).toBe(true)
    const { root } = lineage
    expect(root.transform.command).toBe('merge')
    expect(root.signature.status).toBe('valid')
    expect(root.parents.map((link) => [link.name, link.status, link.path])).toEqual([
      ['v2.manifest.json', 'ok', v2],
      ['side.manifest.json', 'ok', side],
      ['v1.manifest.json', 'ok', v1],
    ])
    const v2Node = root.parents[0].node!
    expect(v2Node.transform.command).toBe('dedupe v2')
    expect(v2Node.parents[0].node?.recordCount).toBe(5)
    expect(root.parents[2].seenBefore).toBe(true)
  })

  it('names a parent that was altered after the child recorded it', async () => {
    const { v1, v3 } = await chain()
    const envelope = JSON.parse(readFileSync(v1, 'utf8'))
    writeFileSync(v1, JSON.stringify(envelope))
    const lineage = await traceLineage(v3)
    expect(lineage.ok).toBe(false)
    expect(lineage.failures[0]).toMatch(
      /v2\.manifest\.json: parent .*v1\.manifest\.json has sha256 [0-9a-f]{64}, but the child recorded [0-9a-f]{64} \(the parent was altered or replaced\)/,
    )
    expect(lineage.root.parents[0].node?.parents[0].status).toBe('digest-mismatch')
  })

  it('finds a moved parent among extra manifests by its digest, and reports one that is missing', async () => {
    const { folder, v1, v2 } = await chain()
    const archive = join(folder, 'archive')
    mkdirSync(archive)
    const moved = join(archive, 'renamed.json')
    renameSync(v1, moved)
    const missing = await traceLineage(v2)
    expect(missing.ok).toBe(false)
    expect(missing.failures[0]).toMatch(/parent v1\.manifest\.json not found .*pass it as an extra argument/)
    const found = await traceLineage(v2, { candidates: [moved] })
    expect(found.ok).toBe(true)
    expect(found.root.parents[0].path).toBe(moved)
    const inFolder = await traceLineage(v2, { candidates: [archive] })
    expect(inFolder.ok).toBe(true)
    expect(inFolder.root.parents[0].path).toBe(moved)
  })

  it('never opens the paths an unsigned manifest names as parents: no device, FIFO or outside file', async () => {
    const folder = join(dir, `hostile${++counter}`)
    mkdirSync(folder)
    const dataset = join(folder, 'data.csv')
    writeFileSync(dataset, 'id,label\n1,a\n')
    const child = join(folder, 'data.manifest.json')
    await createManifest(dataset, { out: child })
    const outside = join(dir, 'outside.json')
    writeFileSync(outside, '{"private": true}')
    const pipe = join(folder, 'pipe.manifest.json')
    execFileSync('mkfifo', [pipe])
    const envelope = JSON.parse(readFileSync(child, 'utf8'))
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'))
    const claimed = { digest: { sha256: 'ab'.repeat(32) }, subject: [] }
    statement.predicate.parents = ['/dev/zero', 'pipe.manifest.json', '../outside.json'].map((name) => ({
      name,
      ...claimed,
    }))
    envelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64')
    writeFileSync(child, JSON.stringify(envelope))

    const lineage = await traceLineage(child)
    expect(lineage.ok).toBe(false)
    expect(
      lineage.root.parents.map((link) => [link.name, link.status, link.path, link.actualSha256]),
    ).toEqual([
      ['/dev/zero', 'missing', undefined, undefined],
      ['pipe.manifest.json', 'missing', undefined, undefined],
      ['../outside.json', 'missing', undefined, undefined],
    ])
    expect(lineage.failures[0]).toBe(
      `${child}: parent /dev/zero not found by its digest in ${folder}; pass it as an extra argument, or its folder`,
    )
    await expect(traceLineage(child, { candidates: [pipe] })).rejects.toThrow(
      `${pipe}: expected a manifest file or a folder of manifests, found a FIFO (named pipe)`,
    )
    await expect(traceLineage(pipe)).rejects.toThrow('expected a regular manifest, found a FIFO')
  })

  it('reports a manifest signed by another key', async () => {
    const { v2 } = await chain()
    const lineage = await traceLineage(v2, { publicKey: stranger.publicKey })
    expect(lineage.failures).toEqual([
      `${v2}: signature wrong-key`,
      expect.stringMatching(/v1\.manifest\.json: signature wrong-key$/),
    ])
  })
})
