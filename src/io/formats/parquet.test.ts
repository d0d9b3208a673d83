import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'
import { parquetWriteFile } from 'hyparquet-writer'
import { afterAll, describe, expect, it } from 'vitest'
import { PoisonguardError } from '../../errors.js'
import { loadDataset, writeFilteredDataset } from '../index.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-parquet-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function writeSample(name: string): string {
  const path = join(dir, name)
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: 'id', data: ['r1', 'r2', 'r3', 'r4'], type: 'STRING' },
      { name: 'label', data: [1n, 0n, 1n, 0n], type: 'INT64' },
      { name: 'source', data: ['a', 'b', 'a', 'b'], type: 'STRING' },
      { name: 'x', data: [0.5, 1.5, null, 3.5], type: 'DOUBLE' },
      { name: 'n', data: [1, 2, 3, 4], type: 'INT32' },
      { name: 'when', data: [new Date(0), new Date(1), new Date(2), new Date(3)], type: 'TIMESTAMP' },
    ],
  })
  return path
}

describe('Parquet', () => {
  it('loads rows with the column conventions', async () => {
    const path = writeSample('sample.parquet')
    const dataset = await loadDataset(path)
    expect(dataset.origin.format).toBe('parquet')
    expect(dataset.ids).toEqual(['r1', 'r2', 'r3', 'r4'])
    expect(dataset.labels?.classes).toEqual(['0', '1'])
    expect(Array.from(dataset.labels!.codes)).toEqual([1, 0, 1, 0])
    expect(dataset.sources).toEqual(['a', 'b', 'a', 'b'])
    expect(dataset.featureNames).toEqual(['x', 'n'])
    expect(Array.from(dataset.features!.data)).toEqual([0.5, 1, 1.5, 2, Math.fround(5.5 / 3), 3, 3.5, 4])
    expect(dataset.warnings[0]).toMatch(/ignored non-numeric column\(s\) "when"/)
  })

  it('writes the kept rows with the same schema and relabels in the column type', async () => {
    const path = writeSample('input.parquet')
    const dataset = await loadDataset(path)
    const outPath = join(dir, 'kept.parquet')
    await writeFilteredDataset(dataset, Uint8Array.of(1, 0, 1, 1), outPath, { relabel: new Map([[2, '0']]) })
    const file = await asyncBufferFromFile(outPath)
    const [before, after] = await Promise.all([
      asyncBufferFromFile(path).then(parquetMetadataAsync),
      parquetMetadataAsync(file),
    ])
    expect(after.schema).toEqual(before.schema)
    const rows = await parquetReadObjects({ file })
    expect(rows.map((row) => [row.id, row.label, row.x])).toEqual([
      ['r1', 1n, 0.5],
      ['r3', 0n, null],
      ['r4', 0n, 3.5],
    ])
    expect(rows[1].when).toEqual(new Date(2))
  })

  it('encodes a categorical string column as one-hot columns and writes the kept rows with their strings', async () => {
    const path = join(dir, 'categorical.parquet')
    const countries = ['fr', 'de', 'fr', null, 'it', 'de', 'fr', 'de']
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: 'country', data: countries, type: 'STRING' },
        { name: 'x', data: [1, 2, 3, 4, 5, 6, 7, 8], type: 'DOUBLE' },
      ],
    })
    const dataset = await loadDataset(path, { label: false })
    expect(dataset.featureNames).toEqual(['country=de', 'country=fr', 'country=it', 'x'])
    expect(Array.from(dataset.features!.data.subarray(0, 16))).toEqual([
      0, 1, 0, 1, 1, 0, 0, 2, 0, 1, 0, 3, 0, 0, 0, 4,
    ])
    expect(dataset.warnings).toEqual([
      'encoded categorical column(s) "country" (3 values) as one-hot columns',
    ])
    const out = join(dir, 'categorical-kept.parquet')
    await writeFilteredDataset(dataset, Uint8Array.of(1, 1, 0, 1, 1, 0, 0, 0), out)
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(out) })
    expect(rows.map((row) => row.country)).toEqual(['fr', 'de', null, 'it'])
  })

  it('rejects a file that is not Parquet', async () => {
    const path = join(dir, 'fake.parquet')
    writeFileSync(path, 'id,label\n1,a\n')
    const error = await loadDataset(path).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PoisonguardError)
    expect((error as PoisonguardError).code).toBe('PARSE_ERROR')
    expect((error as PoisonguardError).message).toMatch(/fake\.parquet: not a readable Parquet file/)
  })
})
