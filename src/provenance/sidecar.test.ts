import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { roleValue } from './role-values.js'
import { readSidecar, sidecarPathFor } from './sidecar.js'
import { SidecarWriter } from './sidecar-writer.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-sidecar-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const HEADER =
  '{"format":"https://poisonguard.dev/record-digests/v1","fields":["id","source","label","bodySha256"]}'
const digest = (text: string) => createHash('sha256').update(text).digest()
const record = (id: string, source: string | null, label: string | null) => {
  const idBytes = Buffer.from(`..${id}..`)
  return {
    id: () => id,
    idBytes,
    idStart: 2,
    idEnd: idBytes.length - 2,
    source: roleValue(source),
    label: roleValue(label),
    bodyDigest: digest(id),
  }
}

describe('record digest sidecar', () => {
  it('round-trips records and reports the digest of exactly the bytes written', async () => {
    const path = join(dir, 'round.records.jsonl')
    const writer = new SidecarWriter(path)
    writer.add(record('a', 'vendor-x', '1'))
    writer.add(record('b"q', null, null))
    writer.add(record('é\\n', 'é', '"'))
    const written = writer.finish()
    const bytes = readFileSync(path)
    expect(written).toEqual({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      byteCount: bytes.length,
    })
    expect(bytes.toString().split('\n')[0]).toBe(HEADER)
    const { table, sha256 } = await readSidecar(path)
    expect(sha256).toBe(written.sha256)
    expect(table.ids).toEqual(['a', 'b"q', 'é\\n'])
    expect(table.sources).toEqual(['vendor-x', null, 'é'])
    expect(table.labels).toEqual(['1', null, '"'])
    expect(Buffer.from(table.bodyDigest(1)).equals(digest('b"q'))).toBe(true)
  })

  it('reads rows written with spaces, CRLF or upper-case digits as the rows the writer makes', async () => {
    const path = join(dir, 'spelled.records.jsonl')
    const hex = digest('a').toString('hex')
    const rows = [
      `["a","s","1","${hex}"]`,
      `[ "a" , "s" , "1" , "${hex.toUpperCase()}" ]`,
      `["a","s","1","${hex}"]\r`,
      `["\\u0061","\\u0073","1","${hex}"]`,
      `["a",null,"","${hex}"]`,
    ]
    writeFileSync(path, [HEADER, ...rows].join('\n'))
    const { table } = await readSidecar(path)
    expect(table.ids).toEqual(['a', 'a', 'a', 'a', 'a'])
    expect(table.sources).toEqual(['s', 's', 's', 's', null])
    expect(table.labels).toEqual(['1', '1', '1', '1', ''])
    for (let index = 0; index < 5; index++)
      expect(Buffer.from(table.bodyDigest(index)).equals(digest('a'))).toBe(true)
  })

  it('lists every malformed line', async () => {
    const path = join(dir, 'bad.records.jsonl')
    const good = `["a",null,null,"${digest('a').toString('hex')}"]`
    writeFileSync(
      path,
      [HEADER, good, '["b",1,null,"00"]', `["c",null,null,"${'zz'.repeat(32)}"]`, '{'].join('\n'),
    )
    const error = (await readSidecar(path).catch((caught: unknown) => caught)) as Error
    expect(error.message).toMatch(
      /bad\.records\.jsonl, line 3: expected \[id, source or null, label or null, 64 hex digits\] \(and 2 more problems\)/,
    )
  })

  it('refuses a file without the header and never overwrites', async () => {
    const path = join(dir, 'headless.records.jsonl')
    writeFileSync(path, '["a",null,null,"00"]\n')
    await expect(readSidecar(path)).rejects.toThrow(/not a record digest file/)
    expect(() => new SidecarWriter(path)).toThrow(/EEXIST/)
  })

  it('lives beside its manifest', () => {
    expect(sidecarPathFor(join('a', 'data.manifest.json'))).toBe(join('a', 'data.manifest.records.jsonl'))
    expect(sidecarPathFor('m')).toBe('m.records.jsonl')
  })
})
