import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { hashFile } from './hash.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-hash-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('hashFile', () => {
  it('hashes a file of several reads, the last one short, and an empty file', async () => {
    // Two whole reads of 4 MiB and a short third: the reused buffer must not carry bytes over.
    const bytes = randomBytes((9 << 20) + 123)
    const path = join(dir, 'several.bin')
    writeFileSync(path, bytes)
    expect(await hashFile(path)).toBe(createHash('sha256').update(bytes).digest('hex'))
    const empty = join(dir, 'empty.bin')
    writeFileSync(empty, '')
    expect(await hashFile(empty)).toBe(createHash('sha256').digest('hex'))
  })
})
