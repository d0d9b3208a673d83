import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { shareableInt32 } from '../data/shared-memory.js'
import { PoisonguardError } from '../errors.js'
import { createSpillFile, spillError } from './spill-file.js'

let folder: string

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'spill-test-'))
})

afterEach(() => {
  rmSync(folder, { recursive: true, force: true })
})

describe('createSpillFile', () => {
  it('reads back what it wrote, at any offset, into ordinary or shared memory', () => {
    const spill = createSpillFile({ directory: folder })
    try {
      const floats = Float32Array.from({ length: 10_000 }, (_, index) => Math.sin(index) * 1e3)
      const ints = Int32Array.from({ length: 7_001 }, (_, index) => index * 7919 - 3)
      const first = spill.write(floats)
      const second = spill.write(ints.subarray(1))
      expect(spill.bytesWritten).toBe(floats.byteLength + 7_000 * 4)
      const back = new Float32Array(10_000)
      spill.read(first, 0, back)
      expect(back).toEqual(floats)
      const block = shareableInt32(500)
      spill.read(second, 1_234, block)
      expect(Array.from(block)).toEqual(Array.from(ints.subarray(1_235, 1_735)))
    } finally {
      spill.close()
    }
  })

  it('makes its folder at the first write and removes it on close', () => {
    const spill = createSpillFile({ directory: folder })
    expect(readdirSync(folder)).toEqual([])
    spill.write(new Float32Array(16))
    expect(readdirSync(folder)).toHaveLength(1)
    spill.close()
    expect(readdirSync(folder)).toEqual([])
  })

  it('names the folder when it cannot write there', () => {
    const notAFolder = join(folder, 'file')
    writeFileSync(notAFolder, '')
    const spill = createSpillFile({ directory: notAFolder })
    const attempt = () => spill.write(new Int32Array(4))
    expect(attempt).toThrow(PoisonguardError)
    expect(attempt).toThrow(`cannot write the scan's temporary file in ${notAFolder}`)
    spill.close()
  })

  it('removes its folder when SIGINT ends the process', async () => {
    const hooks = fileURLToPath(new URL('../../test/fixtures/register-typescript.mjs', import.meta.url))
    const module = fileURLToPath(new URL('./spill-file.ts', import.meta.url))
    const script = `import { createSpillFile } from ${JSON.stringify(module)}
      createSpillFile({ directory: ${JSON.stringify(folder)} }).write(new Float32Array(1024))
      process.stdout.write('written\\n')
      setInterval(() => {}, 1000)`
    const child = spawn(process.execPath, ['--import', hooks, '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_, signal) => resolve(signal)),
    )
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
    expect(readdirSync(folder)).toHaveLength(1)
    child.kill('SIGINT')
    expect(await exited).toBe('SIGINT')
    expect(readdirSync(folder)).toEqual([])
  }, 30_000)
})

describe('spillError', () => {
  it('says a full disk is full and names the folder', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
    const error = spillError(full, '/scratch', 3 * 2 ** 20)
    expect(error.code).toBe('OUTPUT_ERROR')
    expect(error.describe()).toMatchInlineSnapshot(`
      "no space left in /scratch for the 3 MiB the scan spills past its memory budget (ENOSPC)
      hint: free space there, choose another folder with --temp-dir, or raise --max-memory"
    `)
  })
})

it('leaves nothing behind when nothing was written', () => {
  createSpillFile({ directory: folder }).close()
  expect(existsSync(folder) && readdirSync(folder)).toEqual([])
})
