import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PoisonguardError } from '../errors.js'
import { builtinDatasets } from './builtin/index.js'
import { hashFile, type LoadOptions, loadDataset } from './index.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-load-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function loadError(path: string, options?: LoadOptions): Promise<PoisonguardError> {
  const error = await loadDataset(path, options).catch((caught: unknown) => caught)
  if (!(error instanceof PoisonguardError)) throw new Error(`expected a PoisonguardError, got ${error}`)
  return error
}

describe('loadDataset', () => {
  it('reports a missing file', async () => {
    const error = await loadError(join(dir, 'missing.csv'))
    expect(error.code).toBe('FILE_NOT_FOUND')
    expect(error.message).toMatch(/missing\.csv: no such file or folder/)
  })

  it('lists the supported formats for an unknown extension and mentions --format', async () => {
    for (const name of ['data.tsv', 'data']) {
      const path = join(dir, name)
      writeFileSync(path, 'a\tb\n1\t2\n')
      const error = await loadError(path)
      expect(error.code).toBe('UNKNOWN_FORMAT')
      expect(error.message).toMatch(/\.csv \(csv\), \.jsonl or \.ndjson \(jsonl\), \.parquet \(parquet\)/)
      expect(error.hint).toMatch(/--format/)
    }
    const path = join(dir, 'data.txt')
    writeFileSync(path, 'x\n1\n')
    expect((await loadDataset(path, { format: 'csv' })).rowCount).toBe(1)
    expect((await loadError(path, { format: 'xml' as never })).code).toBe('UNKNOWN_FORMAT')
  })

  it('rejects a format that does not fit the path, and bad options', async () => {
    const folder = join(dir, 'folder')
    mkdirSync(folder)
    expect((await loadError(folder, { format: 'csv' })).message).toMatch(
      /format csv expects a csv file, but this is a folder/,
    )
    const file = join(dir, 'x.csv')
    writeFileSync(file, 'x\n1\n')
    expect((await loadError(file, { format: 'images' })).code).toBe('INVALID_ARGUMENT')
    expect((await loadError(file, { maxLineBytes: 0 })).code).toBe('INVALID_ARGUMENT')
    expect((await loadError(file, { features: [] })).code).toBe('INVALID_ARGUMENT')
    expect((await loadError(folder)).code).toBe('EMPTY_FILE')
  })

  it('finds an invalid byte past the first read chunk', async () => {
    const path = join(dir, 'late.csv')
    const lineCount = 150_000
    writeFileSync(
      path,
      Buffer.concat([Buffer.from(`x\n${'12345678\n'.repeat(lineCount)}`), Buffer.of(0xff, 0x0a)]),
    )
    const error = await loadError(path)
    expect(error.code).toBe('ENCODING_ERROR')
    expect(error.message).toContain(`line ${lineCount + 2}: byte 0xff`)
  })

  it('hashes files with SHA-256', async () => {
    const path = join(dir, 'hash.csv')
    writeFileSync(path, 'x\n1\n')
    const expected = createHash('sha256').update('x\n1\n').digest('hex')
    expect(await hashFile(path)).toBe(expected)
    expect((await loadDataset(path)).origin.sha256).toBe(expected)
    await expect(hashFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' })
  })

  it('loads the MNIST CSV (10,000 × 786) as 28×28 images', async () => {
    const path = join(dir, 'mnist.csv')
    await builtinDatasets.mnist.write(path)
    const dataset = await loadDataset(path)
    expect(dataset.rowCount).toBe(10_000)
    expect(dataset.features?.cols).toBe(784)
    expect(dataset.imageShape).toEqual({ width: 28, height: 28 })
    expect(dataset.labels?.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(dataset.ids[0]).toBe('1')
    expect(dataset.warnings).toEqual([])
  })

  it('keeps every row in place across the growing blocks numbers are read into, in CSV and JSON Lines', async () => {
    // 5,000 rows of a few candidate columns fill several blocks, each twice the last; the text column is dropped
    // from the features, so rows are gathered cell by cell.
    const rowCount = 5_000
    const rows = Array.from({ length: rowCount }, (_, row) => ({
      id: `r${row}`,
      x: row,
      y: -0.5 - row,
      note: `n${row}`,
    }))
    const csv = join(dir, 'blocks.csv')
    const jsonl = join(dir, 'blocks.jsonl')
    writeFileSync(
      csv,
      ['id,x,y,note', ...rows.map(({ id, x, y, note }) => `${id},${x},${y},${note}`)].join('\n'),
    )
    writeFileSync(jsonl, rows.map((row) => JSON.stringify(row)).join('\n'))
    for (const path of [csv, jsonl]) {
      const dataset = await loadDataset(path)
      expect(dataset.featureNames).toEqual(['x', 'y'])
      const expected = Float32Array.from(rows.flatMap(({ x, y }) => [x, y]))
      expect(dataset.features?.data).toEqual(expected)
    }
  })

  it('warns of mostly empty text, label and feature columns, as typed diagnostics and as messages', async () => {
    const path = join(dir, 'sparse.csv')
    const rows = Array.from({ length: 10 }, (_, row) =>
      [row < 3 ? 'a' : '', row < 8 ? 'x' : '', row, row < 4 ? row : ''].join(','),
    )
    writeFileSync(path, `label,text,f,g\n${rows.join('\n')}\n`)
    const dataset = await loadDataset(path)
    expect(dataset.diagnostics?.mostlyEmpty).toEqual([
      { name: 'label', role: 'label', emptyCount: 7 },
      { name: 'g', role: 'feature', emptyCount: 6 },
    ])
    expect(dataset.warnings).toContain(
      'label column "label" is mostly empty (7 empty cells); records without a label are left out of the label checks',
    )
    writeFileSync(
      path,
      `text,f\n${Array.from({ length: 4 }, (_, row) => `${row ? '' : 'hi'},${row}`).join('\n')}\n`,
    )
    expect((await loadDataset(path)).warnings).toEqual([
      'text column "text" is mostly empty (3 empty cells); the texts are not used; detectors that need them are skipped',
    ])
  })
})
