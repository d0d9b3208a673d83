import { execFileSync } from 'node:child_process'
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isPoisonguardError, type PoisonguardError } from '../errors.js'
import { type OutputFile, writeOutputsAtomically } from './transaction.js'

const root = mkdtempSync(join(tmpdir(), 'poisonguard-transaction-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let counter = 0

/** A fresh folder with `input.csv` in it. */
function folder(): { dir: string; input: string } {
  const dir = join(root, `case${++counter}`)
  mkdirSync(dir)
  const input = join(dir, 'input.csv')
  writeFileSync(input, 'id,x\n1,2\n')
  return { dir, input }
}

async function failure(outputs: OutputFile[], inputs: string[] = []): Promise<PoisonguardError> {
  const error = await writeOutputsAtomically(outputs, { inputs }).then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!isPoisonguardError(error)) throw new Error(`expected a PoisonguardError, got ${String(error)}`)
  return error
}

/** Hidden temporary and backup files the layer may have left behind. */
const leftovers = (dir: string) => readdirSync(dir).filter((name) => /\.(tmp|bak)$/.test(name))

describe('writeOutputsAtomically', () => {
  it('refuses an output that is an input, by path, symbolic link or hard link, and leaves the input intact', async () => {
    const { dir, input } = folder()
    symlinkSync(input, join(dir, 'link.csv'))
    linkSync(input, join(dir, 'hard.csv'))
    for (const path of [input, join(dir, 'link.csv'), join(dir, 'hard.csv'), join(dir, '.', 'input.csv')]) {
      const error = await failure([{ path, flag: '--out', contents: 'clobbered' }], [input])
      expect(error.code).toBe('OUTPUT_ERROR')
      expect(error.message).toBe(
        `--out ${path}: the output would overwrite the input ${input}; write it to a new path`,
      )
    }
    expect(readFileSync(input, 'utf8')).toBe('id,x\n1,2\n')
    expect(leftovers(dir)).toEqual([])
  })

  it('refuses an output inside an input folder', async () => {
    const { dir } = folder()
    const images = join(dir, 'images')
    mkdirSync(join(images, 'cat'), { recursive: true })
    const error = await failure([{ path: join(images, 'cat', 'new.png'), contents: 'x' }], [images])
    expect(error.message).toMatch(
      /the output is inside the input folder .*images; write it outside the input/,
    )
    expect(readdirSync(join(images, 'cat'))).toEqual([])
  })

  it('refuses two outputs that are one file and keeps what was there', async () => {
    const { dir } = folder()
    const report = join(dir, 'report.json')
    writeFileSync(report, 'old report')
    const error = await failure([
      { path: report, flag: '--out', contents: '{}' },
      { path: join(dir, '..', `case${counter}`, 'report.json'), flag: '--html', contents: '<html>' },
    ])
    expect(error.message).toMatch(
      /^--html .*report\.json: the output is the same file as --out .*report\.json/,
    )
    expect(readFileSync(report, 'utf8')).toBe('old report')
  })

  it('refuses a FIFO, a folder and an output under a regular file, listing every problem', async () => {
    const { dir, input } = folder()
    const fifo = join(dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    const error = await failure([
      { path: fifo, flag: '--out', contents: 'x' },
      { path: dir, flag: '--html', contents: 'x' },
      { path: join(input, 'r.json'), flag: '--relabel', contents: 'x' },
    ])
    expect(error.code).toBe('OUTPUT_ERROR')
    expect(error.issues.map((issue) => `${issue.file}: ${issue.message}`)).toEqual([
      `--out ${fifo}: it is a FIFO (named pipe), not a regular file; outputs must be regular files or new paths`,
      `--html ${dir}: it is a folder, not a regular file; outputs must be regular files or new paths`,
      `--relabel ${join(input, 'r.json')}: ${input} is a regular file, not a folder`,
    ])
    expect(statSync(fifo).isFIFO()).toBe(true)
    expect(readFileSync(input, 'utf8')).toBe('id,x\n1,2\n')
  })

  it.skipIf(process.getuid?.() !== 0)('leaves /dev/null a device even when run as root', async () => {
    const error = await failure([{ path: '/dev/null', flag: '--out', contents: 'x' }])
    expect(error.message).toMatch(/^--out \/dev\/null: it is a character device, not a regular file/)
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true)
  })

  it('replaces existing files and leaves no temporary or backup file', async () => {
    const { dir } = folder()
    const report = join(dir, 'report.json')
    writeFileSync(report, 'old')
    await writeOutputsAtomically([
      { path: report, contents: 'new' },
      { path: join(dir, 'data.csv'), write: (path) => writeFile(path, 'a,b\n') },
    ])
    expect(readFileSync(report, 'utf8')).toBe('new')
    expect(readFileSync(join(dir, 'data.csv'), 'utf8')).toBe('a,b\n')
    expect(leftovers(dir)).toEqual([])
  })

  it('rolls back the outputs already renamed when a later rename fails', async () => {
    const { dir } = folder()
    const replaced = join(dir, 'replaced.json')
    writeFileSync(replaced, 'the previous report')
    const created = join(dir, 'created.json')
    const vanishing = join(dir, 'clean.csv')
    const error = await failure([
      { path: replaced, contents: 'new report' },
      { path: created, contents: 'new file' },
      {
        path: vanishing,
        flag: '--export-clean',
        // Something removes the staged copy before the commit, so this third rename can only fail.
        write: async (path) => {
          await writeFile(path, 'rows')
          await rm(path)
        },
      },
    ])
    expect(error.code).toBe('OUTPUT_ERROR')
    expect(error.message).toBe(
      `--export-clean ${vanishing}: could not write it: a file or folder it needs disappeared while writing (ENOENT)`,
    )
    expect(readFileSync(replaced, 'utf8')).toBe('the previous report')
    expect(readdirSync(dir).sort()).toEqual(['input.csv', 'replaced.json'])
  })

  it('puts a folder output in place of a file, and the file back when the write fails', async () => {
    const { dir } = folder()
    const images = join(dir, 'images')
    writeFileSync(images, 'a file that was here')
    const writeFolder = async (path: string) => {
      await mkdir(join(path, 'cat'), { recursive: true })
      await writeFile(join(path, 'cat', 'a.png'), 'png')
    }
    const vanish = async (path: string) => {
      await writeFile(path, '{}')
      await rm(path)
    }
    await failure([
      { path: images, write: writeFolder },
      { path: join(dir, 'truth.json'), write: vanish },
    ])
    expect(readFileSync(images, 'utf8')).toBe('a file that was here')
    await writeOutputsAtomically([{ path: images, write: writeFolder }])
    expect(readdirSync(join(images, 'cat'))).toEqual(['a.png'])
    expect(leftovers(dir)).toEqual([])
  })

  it('removes every staged file when writing fails, and names the disk error', async () => {
    const { dir } = folder()
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
    const error = await failure([
      { path: join(dir, 'a.json'), contents: 'a' },
      {
        path: join(dir, 'b.csv'),
        flag: '--out',
        write: async (path) => {
          await writeFile(path, 'partial')
          throw full
        },
      },
    ])
    expect(error.message).toBe(`--out ${join(dir, 'b.csv')}: could not write it: the disk is full (ENOSPC)`)
    expect(readdirSync(dir)).toEqual(['input.csv'])
  })

  it('creates files with the mode asked for', async () => {
    const { dir } = folder()
    const key = join(dir, 'key.pem')
    await writeOutputsAtomically([{ path: key, contents: 'secret', mode: 0o600 }])
    expect(statSync(key).mode & 0o777).toBe(0o600)
  })
})
