import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Dataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { buildDataset } from './columns.js'
import { CsvTokenizer } from './csv-parser.js'
import { fieldText } from './csv-record.js'
import { CsvDatasetReader } from './csv-table.js'
import { ObjectTableReader } from './objects.js'

/** What loading `bytes` fed in chunks of the given sizes (cycled) gives: a dataset, or the error's message and issues. */
function loadChunks(bytes: Buffer, chunkSizes: number[]): Dataset | { error: string; issues: unknown } {
  try {
    const reader = new CsvDatasetReader('test.csv', {})
    const tokenizer = new CsvTokenizer('test.csv', 1 << 20, (record) => reader.read(record), reader)
    let position = 0
    for (let chunk = 0; position < bytes.length; chunk++) {
      const size = chunkSizes[chunk % chunkSizes.length]
      tokenizer.push(bytes.subarray(position, position + size))
      position += size
    }
    tokenizer.finish()
    reader.shapeIssues.throwIfAny()
    const lines = reader.finish()
    const origin = { path: 'test.csv', format: 'csv', sha256: '', byteCount: bytes.length }
    return buildDataset({ origin, plan: reader.plan!, table: reader.table, roles: reader.roles, lines })
  } catch (error) {
    if (!(error instanceof PoisonguardError)) throw error
    return { error: error.message, issues: error.issues }
  }
}

/**
 * The same file read the slow way, as an independent check: every field decoded to a string and handed to the
 * object-rows path, which reads each cell with `parseNumberText`.
 */
function loadAsStrings(bytes: Buffer): Dataset | { error: string; issues: unknown } {
  try {
    let reader: ObjectTableReader | undefined
    let names: string[] = []
    const tokenizer = new CsvTokenizer('test.csv', 1 << 20, (record) => {
      const fields = Array.from({ length: record.fieldCount }, (_, field) => fieldText(record, field))
      if (!reader) {
        names = fields
        reader = new ObjectTableReader({}, 'test.csv', names)
      } else reader.add(Object.fromEntries(fields.map((field, index) => [names[index], field])), record.line)
    })
    tokenizer.push(bytes)
    tokenizer.finish()
    const origin = { path: 'test.csv', format: 'csv', sha256: '', byteCount: bytes.length }
    return buildDataset({ origin, ...reader!.finish() })
  } catch (error) {
    if (!(error instanceof PoisonguardError)) throw error
    return { error: error.message, issues: error.issues }
  }
}

/** Cells that exercise every path of the number reader: plain, empty, quoted and slow numbers. */
const NUMBER_CELLS = [
  '0',
  '7',
  '-1.5',
  '+3',
  '1e3',
  '2.5E-4',
  '.5',
  '5.',
  '0.30000000000000004',
  '12345678901234567',
  '1e-30',
  '',
  ' 4 ',
  '"8"',
  '"-2.25"',
  '""',
]
/** And what is not a number: non-finite, formula cells, text. */
const OTHER_CELLS = ['1e400', 'NaN', '-inf', '1.2.3', '-', '=1+2', '-1+2', 'x', '"a ""b"""']
const LABELS = ['a', 'b', 'ü', '"c,d"', '"e\nf"', '"é""1"""', '']
const LINE_ENDS = ['\n', '\r\n', '\r']

const tables = fc.record({
  bom: fc.boolean(),
  /** Per column: only numbers, or any cell, so that both loaded tables and their errors come up. */
  numeric: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
  rows: fc.array(
    fc.record({
      numbers: fc.array(fc.constantFrom(...NUMBER_CELLS), { minLength: 3, maxLength: 3 }),
      any: fc.array(fc.constantFrom(...NUMBER_CELLS, ...OTHER_CELLS), { minLength: 3, maxLength: 3 }),
      label: fc.constantFrom(...LABELS),
      source: fc.constantFrom('s1', 's2', '"s,3"', 'ß'),
      end: fc.constantFrom(...LINE_ENDS),
    }),
    { minLength: 1, maxLength: 8 },
  ),
  finalEnd: fc.boolean(),
})

type CsvTable = typeof tables extends fc.Arbitrary<infer Table> ? Table : never

function csvOf(table: CsvTable): Buffer {
  const names = table.numeric.map((_, column) => `x${column}`)
  let text = `${table.bom ? '\uFEFF' : ''}id,label,source,${names.join(',')}\n`
  table.rows.forEach((row, index) => {
    const end = index === table.rows.length - 1 && !table.finalEnd ? '' : row.end
    const cells = table.numeric.map((numeric, column) => (numeric ? row.numbers : row.any)[column])
    text += `r${index},${row.label},${row.source},${cells.join(',')}${end}`
  })
  return Buffer.from(text)
}

describe('CsvDatasetReader', () => {
  it('gives the dataset and errors of reading every cell as text, whatever the chunk boundaries cut', () => {
    fc.assert(
      fc.property(
        tables,
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        (table, sizes) => {
          const bytes = csvOf(table)
          const whole = loadChunks(bytes, [bytes.length])
          expect(loadChunks(bytes, sizes)).toEqual(whole)
          expect(whole).toEqual(loadAsStrings(bytes))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('reads every plain decimal as Number() does, rounded to float32, at one byte per chunk', () => {
    const texts = ['0', '7', '-1.5', '+3', '1e3', '2.5E-4', '.5', '5.', '-0.001', '123456789012345', '0.3412']
    const bytes = Buffer.from(`x\r\n${texts.join('\r\n')}\r\n`)
    const dataset = loadChunks(bytes, [1]) as Dataset
    expect(Array.from(dataset.features!.data)).toEqual(texts.map((text) => Math.fround(Number(text))))
  })

  it('reads quoted, spaced and long numbers, counts empty cells, and names the bad cells with their line', () => {
    const bytes = Buffer.from('id,x,y\n1,"2.5", 3 \n2,,12345678901234567\n3,"4",1e2\n')
    const dataset = loadChunks(bytes, [2]) as Dataset
    expect(Array.from(dataset.features!.data)).toEqual([
      2.5,
      3,
      3.25,
      Math.fround(Number('12345678901234567')),
      4,
      100,
    ])
    expect(dataset.diagnostics?.imputed.get('x')).toEqual({ cellCount: 1, mean: 3.25 })
    const failed = loadChunks(Buffer.from('id,x\n1,2\n2,\n3,"NaN"\n4,=1+2\n5,1\n'), [3])
    expect(failed).toMatchObject({
      issues: [
        { line: 4, row: 3, column: 'x', message: expect.stringContaining('"NaN" is not a finite number') },
        { line: 5, row: 4, column: 'x', message: expect.stringContaining('"=1+2" is not a number') },
      ],
    })
  })

  it('keeps one string per distinct label and source, and still reads columns with many distinct values', () => {
    const rows = Array.from({ length: 5000 }, (_, row) => `${row},l${row % 3},src${row},${row % 10}`)
    const bytes = Buffer.from(`id,label,source,x\n${rows.join('\n')}\n`)
    const dataset = loadChunks(bytes, [997]) as Dataset
    expect(dataset.labels?.classes).toEqual(['l0', 'l1', 'l2'])
    expect(Array.from(dataset.labels!.codes.subarray(0, 4))).toEqual([0, 1, 2, 0])
    expect(dataset.sources).toEqual(Array.from({ length: 5000 }, (_, row) => `src${row}`))
    expect(Array.from(dataset.features!.data.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
  })

  it('tells apart label values whose bytes hash alike', () => {
    // `v7pwu` and `ve5fa` have the same 32-bit FNV-1a hash, the key a value is first looked up by.
    const labels = ['v7pwu', 've5fa', 'v7pwu', 've5fa', 've5fa']
    const bytes = Buffer.from(`x,label\n${labels.map((label, row) => `${row},${label}`).join('\n')}\n`)
    const dataset = loadChunks(bytes, [4]) as Dataset
    const { classes, codes } = dataset.labels!
    expect(Array.from(codes, (code) => classes[code])).toEqual(labels)
  })

  it('states the line of every record when quoted line breaks, CRLF and blank lines move them', () => {
    const bytes = Buffer.from('id,label,x\r\n1,"two\r\nlines",1\r\n\r\n2,b,x\r\n3,c,4\r\n')
    const failed = loadChunks(bytes, [1, 2])
    expect(failed).toMatchObject({ issues: [{ line: 5, row: 2, column: 'x' }] })
    const shape = loadChunks(Buffer.from('a,b\n1,2\n3\n4,5,6\n'), [1])
    expect(shape).toMatchObject({
      issues: [
        { line: 3, row: 2 },
        { line: 4, row: 3 },
      ],
    })
  })
})
