import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readRegularFile } from './regular-file.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-regular-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('readRegularFile', () => {
  const manifest = join(dir, 'm.json')
  writeFileSync(manifest, '{"a":1}')

  it('reads a regular file within the bound', async () => {
    expect((await readRegularFile(manifest, { maxBytes: 7 })).toString()).toBe('{"a":1}')
  })

  it('refuses a FIFO and a device without reading them, and a file over the bound', async () => {
    const fifo = join(dir, 'pipe.json')
    execFileSync('mkfifo', [fifo])
    // Opening a FIFO for reading blocks until a writer comes; the refusal must come first.
    await expect(readRegularFile(fifo, { maxBytes: 1 << 20, what: 'manifest' })).rejects.toThrow(
      `${fifo}: expected a regular manifest, found a FIFO (named pipe)`,
    )
    await expect(readRegularFile('/dev/zero', { maxBytes: 1 << 20 })).rejects.toThrow(
      '/dev/zero: expected a regular file, found a character device',
    )
    await expect(readRegularFile(manifest, { maxBytes: 6, what: 'manifest' })).rejects.toThrow(
      `${manifest}: the manifest is larger than 6 bytes, more than any valid one`,
    )
  })

  it('follows a symbolic link only when asked to', async () => {
    const link = join(dir, 'link.json')
    symlinkSync(manifest, link)
    expect((await readRegularFile(link, { maxBytes: 100 })).toString()).toBe('{"a":1}')
    await expect(readRegularFile(link, { maxBytes: 100, noFollow: true })).rejects.toThrow(
      'found a symbolic link',
    )
  })
})
