import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { looksLikeLargeNumericFile } from './warm-hint.js'

describe('looksLikeLargeNumericFile', () => {
  let folder: string
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'warm-hint-'))
  })
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true })
  })

  /** A CSV of `rows` lines, each a label and 64 cells made by `cell`. */
  const table = (rows: number, cell: (row: number, col: number) => string) => {
    const header = `label,${Array.from({ length: 64 }, (_, col) => `p${col}`).join(',')}\n`
    const lines = Array.from(
      { length: rows },
      (_, row) => `${row % 10},${Array.from({ length: 64 }, (_, col) => cell(row, col)).join(',')}\n`,
    )
    return header + lines.join('')
  }

  it('takes a large table of numbers for one, and neither a small one nor a large text nor a folder', async () => {
    const numbers = join(folder, 'numbers.csv')
    await writeFile(
      numbers,
      table(30_000, (row, col) => String((row * 31 + col * 7) % 256)),
    )
    const small = join(folder, 'small.csv')
    await writeFile(
      small,
      table(100, (row, col) => String((row + col) % 256)),
    )
    const words = join(folder, 'words.csv')
    await writeFile(
      words,
      table(12_000, (row, col) => (col % 2 === 0 ? 'lorem' : `ipsum${row}`)),
    )
    expect(await looksLikeLargeNumericFile(numbers)).toBe(true)
    expect(await looksLikeLargeNumericFile(small)).toBe(false)
    expect(await looksLikeLargeNumericFile(words)).toBe(false)
    expect(await looksLikeLargeNumericFile(folder)).toBe(false)
    expect(await looksLikeLargeNumericFile(join(folder, 'missing.csv'))).toBe(false)
  })
})
