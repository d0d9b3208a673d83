import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { mixedDataset } from '../../../test/fixtures/datasets.js'
import type { Dataset } from '../../data/dataset.js'
import { PoisonguardError } from '../../errors.js'
import { type LoadOptions, loadDataset } from '../index.js'
import { adapterOf } from './index.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-jsonl-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let fileCount = 0

function jsonlFile(content: string, extension = 'jsonl'): string {
  const path = join(dir, `data${++fileCount}.${extension}`)
  writeFileSync(path, content)
  return path
}

async function loadError(content: string, options?: LoadOptions): Promise<PoisonguardError> {
  const error = await loadDataset(jsonlFile(content), options).catch((caught: unknown) => caught)
  if (!(error instanceof PoisonguardError)) throw new Error(`expected a PoisonguardError, got ${error}`)
  return error
}

describe('loadDataset (JSON Lines)', () => {
  it('reads scalar fields with the column conventions; keys may differ between lines', async () => {
    const lines = [
      '{"id": "m1", "label": "spam", "text": "win money", "score": 0.5, "flag": true}',
      '{"id": "m2", "label": "ham", "text": "hi mum", "score": "1.5", "extra": 3}',
      '{"id": "m3", "label": null, "text": "", "score": 2.5, "extra": 5}',
      '',
      '   ',
    ]
    const dataset = await loadDataset(jsonlFile(`${lines.join('\n')}\n`, 'ndjson'))
    expect(dataset.origin.format).toBe('jsonl')
    expect(dataset.ids).toEqual(['m1', 'm2', 'm3'])
    expect(dataset.labels).toEqual({
      name: 'label',
      classes: ['ham', 'spam'],
      codes: Int32Array.of(1, 0, -1),
    })
    expect(dataset.texts).toEqual(['win money', 'hi mum', ''])
    expect(dataset.featureNames).toEqual(['score', 'extra'])
    expect(Array.from(dataset.features!.data)).toEqual([0.5, 4, 1.5, 3, 2.5, 5])
    expect(dataset.warnings).toEqual([
      'ignored non-numeric column(s) "flag"; choose features with --features',
      'filled empty feature cells with the column mean: 1 in "extra" (mean 4)',
    ])
  })

  it('encodes a categorical key as one-hot columns where it first shows up, absent keys as zeros', async () => {
    const devices = ['phone', 'tablet', 'desktop', 'phone', 'desktop', 'phone', 'tablet', 'phone']
    const lines = devices.map((device, row) =>
      JSON.stringify(row === 4 ? { x: row } : { x: row, device, note: `free text ${row}` }),
    )
    const dataset = await loadDataset(jsonlFile(`${lines.join('\n')}\n`))
    expect(dataset.featureNames).toEqual(['x', 'device=desktop', 'device=phone', 'device=tablet'])
    expect(Array.from(dataset.features!.data)).toEqual([
      0, 0, 1, 0, 1, 0, 0, 1, 2, 1, 0, 0, 3, 0, 1, 0, 4, 0, 0, 0, 5, 0, 1, 0, 6, 0, 0, 1, 7, 0, 1, 0,
    ])
    expect(dataset.diagnostics?.categoricalColumns).toEqual([
      { name: 'device', values: ['desktop', 'phone', 'tablet'] },
    ])
    expect(dataset.diagnostics?.textColumns).toEqual(['note'])
    expect(dataset.diagnostics?.imputed.size).toBe(0)
  })

  it('leaves the other text keys of a text dataset out, categorical or not', async () => {
    const lines = Array.from({ length: 8 }, (_, row) =>
      JSON.stringify({ text: `message ${row}`, lang: row % 2 ? 'en' : 'fr', x: row }),
    )
    const dataset = await loadDataset(jsonlFile(`${lines.join('\n')}\n`))
    expect(dataset.featureNames).toEqual(['x'])
    expect(dataset.warnings).toEqual([
      'ignored non-numeric column(s) "lang"; choose features with --features',
    ])
  })

  it('accepts CRLF line ends and numeric ids', async () => {
    const dataset = await loadDataset(jsonlFile('{"id": 10, "x": 1}\r\n{"id": 11, "x": 2}'))
    expect(dataset.ids).toEqual(['10', '11'])
  })

  it('rejects lines that are not JSON objects, naming each line', async () => {
    const error = await loadError('{"x": 1}\n{"x": 2,}\n[1, 2]\n')
    expect(error.code).toBe('PARSE_ERROR')
    expect(error.message).toMatch(/line 2: not valid JSON: .* \(and 1 more problem\)$/)
    expect(error.issues[1]).toMatchObject({ line: 3, message: 'expected a JSON object, found an array' })
  })

  it('rejects nested values in used columns', async () => {
    const error = await loadError('{"x": 1, "meta": {"a": 1}}\n')
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toMatch(/line 1, row 1, column "meta": nested objects and arrays are not supported/)
    const ignored = await loadDataset(jsonlFile('{"x": 1, "meta": [1]}\n'), { features: ['x'] })
    expect(ignored.featureNames).toEqual(['x'])
  })

  it('rejects text in a numeric column, a file of blank lines, and over-long lines', async () => {
    const text = await loadError('{"x": 1}\n{"x": "two"}\n')
    expect(text.message).toMatch(/line 2, row 2, column "x": "two" is not a number/)
    expect((await loadError('\n\n')).code).toBe('EMPTY_FILE')
    const long = await loadError(`{"x": 1}\n{"x": "${'a'.repeat(300)}"}\n`, { maxLineBytes: 100 })
    expect(long.code).toBe('LINE_TOO_LONG')
    expect(long.message).toMatch(/line 2:/)
  })
})

/** Everything a loader gives except where the data came from. */
function content(dataset: Dataset): Omit<Dataset, 'origin'> {
  const { origin: _origin, ...rest } = dataset
  return rest
}

describe('JSON Lines read as the CSV reader reads the same table', () => {
  it('gives the same dataset as CSV and Parquet of MNIST digits with a mail text, a label and a source each', async () => {
    const written = mixedDataset(200)
    const loaded = []
    for (const format of ['csv', 'jsonl', 'parquet'] as const) {
      const path = join(dir, `mixed.${format}`)
      await adapterOf(format).write(written, path)
      loaded.push(content(await loadDataset(path)))
    }
    const [csv, jsonl, parquet] = loaded
    expect(csv.rowCount).toBe(200)
    expect(csv.texts).toEqual(written.texts)
    expect(csv.sources).toEqual(written.sources)
    expect(jsonl).toEqual(csv)
    expect(parquet).toEqual(csv)
  })

  it('reads keys that first show up late, or stop, as empty cells before and after, across growing blocks', async () => {
    const rows = Array.from({ length: 5_000 }, (_, row) => {
      const record: Record<string, unknown> = { id: `r${row}`, a: row % 97 }
      if (row < 10) record.b = row
      if (row >= 100) record.label = row % 3 === 0 ? 'x' : 'y'
      if (row >= 3_000) record.c = -row
      if (row % 7 === 0) record.note = `n${row}`
      return record
    })
    const header = ['id', 'a', 'b', 'note', 'label', 'c']
    const csvLines = rows.map((record) => header.map((key) => record[key] ?? '').join(','))
    const csv = join(dir, 'late.csv')
    writeFileSync(csv, `${header.join(',')}\n${csvLines.join('\n')}\n`)
    const jsonl = jsonlFile(`${rows.map((record) => JSON.stringify(record)).join('\n')}\n`)
    const fromJsonl = await loadDataset(jsonl)
    expect(fromJsonl.featureNames).toEqual(['a', 'b', 'c'])
    expect(fromJsonl.features!.data[3_000 * 3 + 2]).toBe(-3_000)
    expect(content(fromJsonl)).toEqual(content(await loadDataset(csv)))
    const chosen = { features: ['c', 'note', 'a'] }
    const error = await loadDataset(jsonl, chosen).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'INVALID_VALUE' })
    const features = { features: ['c', 'a'] }
    const picked = await loadDataset(jsonl, features)
    expect(picked.featureNames).toEqual(['c', 'a'])
    expect(content(picked)).toEqual(content(await loadDataset(csv, features)))
    const featuresLater = await loadDataset(
      jsonlFile('{"id": 1}\n{"id": 2}\n{"id": 3, "x": 4}\n{"id": 4, "x": 2}\n'),
    )
    expect(Array.from(featuresLater.features!.data)).toEqual([3, 3, 4, 2])
    expect(featuresLater.diagnostics?.imputed.get('x')).toEqual({ cellCount: 2, mean: 3 })
  })

  it('names the file, line, row and field of a bad value in a record far into the file', async () => {
    const good = Array.from({ length: 3_000 }, (_, row) => JSON.stringify({ x: row }))
    const path = jsonlFile(`${good.join('\n')}\n\n{"x": 1, "meta": {"a": 1}}\n{"x": "many"}\n`)
    const error = await loadError(readFileSync(path, 'utf8'))
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.issues[0]).toMatchObject({ line: 3_002, row: 3_001, column: 'meta' })
    expect(error.message).toMatch(/line 3002, row 3001, column "meta": nested objects/)
  })
})
