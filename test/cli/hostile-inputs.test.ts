import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadDataset } from '../../src/io/index.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { runCli } from './run-cli.js'

const temporary = useTemporaryFolder()

/** A scan that must refuse its input: exit 1, a message, and no report left behind. */
async function expectRefused(input: string, ...flags: string[]): Promise<string> {
  const report = temporary(`${input.split('/').at(-1)}.report.json`)
  const run = await runCli('scan', input, '--out', report, '--fail-on', 'high', '--quiet', ...flags)
  expect(run.exitCode).toBe(1)
  expect(existsSync(report)).toBe(false)
  return run.stderr
}

describe('inputs that once switched the scan off', () => {
  let exported: string

  beforeAll(async () => {
    exported = temporary('m.csv')
    const run = await runCli('datasets', 'export', 'mnist', '--out', exported, '--limit', '200')
    expect(run.exitCode).toBe(0)
  })

  it('a word in row 1 of every feature column stops the scan, naming the row and the column', async () => {
    const lines = (await readFile(exported, 'utf8')).split('\n')
    const header = lines[0].split(',')
    // Keep the id and label of row 1; every feature cell becomes a word.
    lines[1] = lines[1]
      .split(',')
      .map((cell, index) => (index < 2 ? cell : 'x'))
      .join(',')
    const path = temporary('word-in-row-1.csv')
    await writeFile(path, lines.join('\n'))
    const stderr = await expectRefused(path)
    expect(stderr).toMatch(new RegExp(`row 1, column "${header[2]}": "x" is not a number, but 199 of`))
  })

  it('a string in the first JSON Lines record stops the scan too', async () => {
    const lines = ['{"id": 1, "label": "a", "v": "oops"}']
    for (let row = 2; row <= 30; row++) lines.push(`{"id": ${row}, "label": "${'ab'[row % 2]}", "v": ${row}}`)
    const path = temporary('string-first.jsonl')
    await writeFile(path, `${lines.join('\n')}\n`)
    expect(await expectRefused(path)).toMatch(/line 1, row 1, column "v": "oops" is not a number/)
  })

  it('NUL bytes in row 1 of a numeric column are not a number', async () => {
    const rows = Array.from({ length: 20 }, (_, row) => `${row + 2},${row % 2},${row}`)
    const path = temporary('nul.csv')
    await writeFile(path, `id,label,v\n1,0,\u0000\u0000\n${rows.join('\n')}\n`)
    expect(await expectRefused(path)).toMatch(/row 1, column "v"/)
  })
})

describe('JSON Lines edge cases that are valid data', () => {
  it('keys named like Object.prototype members are ordinary columns', async () => {
    const keys = ['toString', 'valueOf', 'constructor', 'hasOwnProperty', '__proto__']
    const lines = Array.from({ length: 12 }, (_, row) => {
      const record: Record<string, unknown> = { id: row, label: row % 2 === 0 ? 'a' : 'b', v: row }
      // Only some records carry each odd key, so the others must read as empty, not as the prototype's function.
      record[keys[row % keys.length]] = row * 2
      return JSON.stringify(record)
    })
    const path = temporary('prototype-keys.jsonl')
    await writeFile(path, `${lines.join('\n')}\n`)
    const report = temporary('prototype-keys.report.json')
    const run = await runCli('scan', path, '--out', report, '--quiet', '--detectors', 'outliers')
    expect(run.stderr).not.toMatch(/error/i)
    expect(run.exitCode).toBe(0)
    const written = JSON.parse(await readFile(report, 'utf8')) as { dataset: { rows: number } }
    expect(written.dataset.rows).toBe(12)
  })

  it('a UTF-8 byte order mark before the first record is accepted, as in CSV', async () => {
    const lines = Array.from({ length: 10 }, (_, row) =>
      JSON.stringify({ id: row, label: 'ab'[row % 2], v: row }),
    )
    const path = temporary('bom.jsonl')
    await writeFile(path, `\ufeff${lines.join('\n')}\n`)
    const run = await runCli(
      'scan',
      path,
      '--out',
      temporary('bom.report.json'),
      '--quiet',
      '--detectors',
      'outliers',
    )
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
  })
})

describe('damaged binary inputs are refused', () => {
  it('an embeddings file of shape (rows, 0) is an error, not a scan without detectors', async () => {
    const rows = Array.from({ length: 60 }, (_, row) => `${row},${row % 2},${row}`)
    const path = temporary('sixty.csv')
    await writeFile(path, `id,label,v\n${rows.join('\n')}\n`)
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (60, 0), }"
    const padded = `${header}${' '.repeat(63 - ((10 + header.length) % 64))}\n`
    const prefix = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, padded.length & 255, padded.length >> 8])
    const npy = temporary('empty.npy')
    await writeFile(npy, Buffer.concat([prefix, Buffer.from(padded, 'latin1')]))
    expect(await expectRefused(path, '--embeddings', npy)).toMatch(/shape \(60, 0\)/)
  })

  it('a Parquet file with a wrong header magic is refused', async () => {
    const parquet = temporary('small.parquet')
    expect((await runCli('datasets', 'export', 'mnist', '--out', parquet, '--limit', '20')).exitCode).toBe(0)
    const bytes = await readFile(parquet)
    bytes.write('PAR2', 0, 'latin1')
    await writeFile(parquet, bytes)
    expect(await expectRefused(parquet)).toMatch(/does not start with the magic bytes "PAR1"/)
  })
})

describe('unbounded inputs', () => {
  it('a sparse JSON Lines file whose records bring new keys is refused above --max-columns, which can be raised', async () => {
    const lines = Array.from({ length: 500 }, (_, row) => {
      const record: Record<string, unknown> = { id: row, label: 'ab'[row % 2] }
      for (let key = 0; key < 10; key++) record[`k${row * 10 + key}`] = key
      return JSON.stringify(record)
    })
    const path = temporary('sparse.jsonl')
    await writeFile(path, `${lines.join('\n')}\n`)
    expect(await expectRefused(path)).toMatch(/5002 columns, more than the limit of 4096.*--max-columns/s)
    const raised = await loadDataset(path, { maxColumns: 6000 })
    expect(raised.featureNames).toHaveLength(5000)
  })

  it('a CSV header declares as many columns as a 224×224 picture holds without --max-columns, and no more than it allows', async () => {
    const pixels = 224 * 224
    const header = ['id', 'label', ...Array.from({ length: pixels }, (_, pixel) => `p${pixel}`)]
    const rows = Array.from({ length: 3 }, (_, row) =>
      [`r${row}`, 'ab'[row % 2], ...Array.from({ length: pixels }, (_, pixel) => (pixel + row) % 256)].join(
        ',',
      ),
    )
    const path = temporary('picture.csv')
    await writeFile(path, `${[header.join(','), ...rows].join('\n')}\n`)
    const loaded = await loadDataset(path)
    expect(loaded.featureNames).toHaveLength(pixels)
    expect(loaded.imageShape).toEqual({ width: 224, height: 224 })
    await expect(loadDataset(path, { maxColumns: 4096 })).rejects.toThrow(
      /50178 columns, more than the limit of 4096/,
    )
  })
})

describe('empty texts are not content', () => {
  it('a mostly empty text column is no flood: empty texts get no near-duplicate findings, with a warning', async () => {
    const words = ['invoice', 'meeting', 'garden', 'printer', 'holiday', 'budget', 'recipe', 'concert']
    const rows = Array.from({ length: 200 }, (_, row) => {
      const text =
        row % 10 === 0 ? `${words[row % 8]} ${words[(row * 3) % 8]} note ${row} for ${row * 7}` : ''
      return `${row + 1},${row % 2 === 0 ? 'ham' : 'spam'},${text}`
    })
    const path = temporary('empty-texts.csv')
    await writeFile(path, `id,label,text\n${rows.join('\n')}\n`)
    const report = temporary('empty-texts.report.json')
    const run = await runCli('scan', path, '--out', report, '--quiet', '--detectors', 'near-duplicates')
    expect(run.exitCode).toBe(0)
    const written = JSON.parse(await readFile(report, 'utf8')) as {
      dataset: { warnings: string[] }
      detectors: { status: string; reason?: string }[]
      records: { findings: { kind: string }[] }[]
    }
    const emptyWithFindings = written.records.filter(
      (record, row) => row % 10 !== 0 && record.findings.length > 0,
    )
    expect(emptyWithFindings).toEqual([])
    // With nothing but a mostly empty text to compare, the detector is skipped with the reason.
    expect(written.detectors[0]).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^the text column "text" is empty in 180 of 200 records/),
    })
    expect(written.dataset.warnings).toContain(
      'text column "text" is mostly empty (180 empty cells); the texts are not used; detectors that need them are skipped',
    )
  })
})
