import { mkdirSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../../../test/fixtures/files.js'
import { type Dataset, encodeLabels } from '../../data/dataset.js'
import { PoisonguardError } from '../../errors.js'
import { loadDataset, writeFilteredDataset } from '../index.js'
import { readRawRecords } from '../records.js'
import { writeDataset } from '../write-dataset.js'
import {
  adapterOf,
  checkFormat,
  type DatasetFormat,
  datasetFormats,
  detectFormat,
  rawRecordFormats,
} from './index.js'

const temporary = useTemporaryFolder()

const SIDE = 8
const ROWS = 6

/** Six labelled 8×8 images whose pixels are whole multiples of 1/255, so even 8-bit PNGs hold them exactly. */
function fixture(): Dataset {
  const pixelCount = SIDE * SIDE
  const data = Float32Array.from({ length: ROWS * pixelCount }, (_, index) => ((index * 37) % 256) / 255)
  return {
    origin: { path: '', format: 'csv', sha256: '', byteCount: 0 },
    rowCount: ROWS,
    ids: Array.from({ length: ROWS }, (_, row) => `r${row + 1}`),
    labels: encodeLabels(
      'label',
      Array.from({ length: ROWS }, (_, row) => (row % 3 === 0 ? 'cat' : 'dog')),
    ),
    features: { data, rows: ROWS, cols: pixelCount },
    featureNames: Array.from({ length: pixelCount }, (_, pixel) => `pixel${pixel}`),
    imageShape: { width: SIDE, height: SIDE },
    warnings: [],
  }
}

const labelNames = (dataset: Dataset) =>
  Array.from(dataset.labels!.codes, (code) => dataset.labels!.classes[code])

function rowsOf(dataset: Dataset, rows: number[]): Float32Array {
  const cols = dataset.features!.cols
  return Float32Array.from(
    rows.flatMap((row) => [...dataset.features!.data.subarray(row * cols, (row + 1) * cols)]),
  )
}

const formats = Object.keys(datasetFormats) as DatasetFormat[]

describe.each(formats)('the %s format', (format) => {
  const source = fixture()
  const path = temporary(`fixture-${format}${adapterOf(format).extensions[0] ?? ''}`)
  let loaded: Dataset

  it('reads back what it wrote: ids, labels and features', async () => {
    const written = await writeDataset(source, path, { format })
    loaded = await loadDataset(path)
    expect(loaded.origin.format).toBe(format)
    expect([...loaded.ids].sort()).toEqual([...written.ids].sort())
    // An image folder reads back in path order; match rows by the ids the writer reported.
    const rows = written.ids.map((id) => loaded.ids.indexOf(id))
    expect(rows.map((row) => labelNames(loaded)[row])).toEqual(labelNames(source))
    expect(rowsOf(loaded, rows)).toEqual(source.features!.data)
    expect(loaded.imageShape).toEqual({ width: SIDE, height: SIDE })
  })

  it('writes a filtered copy that loads as the kept records', async () => {
    const keep = Uint8Array.from({ length: ROWS }, (_, row) => (row % 2 === 0 ? 1 : 0))
    const filtered = temporary(`filtered-${format}${adapterOf(format).extensions[0] ?? ''}`)
    await writeFilteredDataset(loaded, keep, filtered)
    const copy = await loadDataset(filtered)
    expect(copy.ids).toEqual([0, 2, 4].map((row) => loaded.ids[row]))
    expect(labelNames(copy)).toEqual([0, 2, 4].map((row) => labelNames(loaded)[row]))
    expect(copy.features!.data).toEqual(rowsOf(loaded, [0, 2, 4]))
  })

  it.runIf(adapterOf(format).folder === undefined)(
    'reads every raw record and the same file hash as the loader',
    async () => {
      const ids: unknown[] = []
      const file = await readRawRecords(path, (record) =>
        ids.push(record.values[record.columns.indexOf('id')]),
      )
      expect(file).toMatchObject({ format, recordCount: ROWS, sha256: loaded.origin.sha256 })
      expect(ids).toEqual(loaded.ids)
    },
  )
})

describe('the format registry', () => {
  it('detects a format from its extensions, case-insensitively, and a folder as images', () => {
    expect(detectFormat('a/b.CSV', false)).toBe('csv')
    expect(detectFormat('b.ndjson', false)).toBe('jsonl')
    expect(detectFormat('b.parquet', false)).toBe('parquet')
    expect(detectFormat('images', true)).toBe('images')
    expect(rawRecordFormats()).toEqual(['csv', 'jsonl', 'parquet'])
  })

  it('lists the supported extensions and formats for an unknown extension or name', async () => {
    const path = temporary('data.xlsx')
    writeFileSync(path, 'not a dataset')
    const error = await loadDataset(path).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PoisonguardError)
    expect((error as PoisonguardError).code).toBe('UNKNOWN_FORMAT')
    expect((error as PoisonguardError).message).toMatchInlineSnapshot(
      `"${path}: cannot tell the format from the extension ".xlsx"; supported: .csv (csv), .jsonl or .ndjson (jsonl), .parquet (parquet), a folder of label folders (images)"`,
    )
    expect(() => checkFormat('xlsx')).toThrow(
      'unknown format "xlsx"; expected one of: csv, jsonl, parquet, images',
    )
  })

  it('refuses record-level reading of a format without it, naming the ones that have it', async () => {
    const folder = temporary('a-folder')
    mkdirSync(folder)
    const error = await readRawRecords(folder, () => {}).catch((caught: unknown) => caught)
    expect((error as PoisonguardError).message).toContain(
      'record-level reading covers csv, jsonl and parquet files, not images',
    )
  })
})
