import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { parquetWriteFile } from 'hyparquet-writer'
import { afterAll, describe, expect, it } from 'vitest'
import { readRawRecords } from '../io/records.js'
import { canonicalJson, canonicalText, digestBody, recordLeaf } from './canonical.js'
import { type DatasetDigest, digestDataset } from './dataset-digest.js'
import { RecordTable } from './record-table.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-canonical-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const INTEGER = /^-?(?:0|[1-9]\d*)$/
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 22 })
/** Decimal text of every shape: signs, leading and trailing zeros, long digit runs, exponents. */
const numeral = fc
  .tuple(fc.boolean(), digits, fc.option(digits), fc.option(fc.integer({ min: -30, max: 30 })))
  .map(
    ([negative, whole, fraction, exponent]) =>
      `${negative ? '-' : ''}${whole}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : `e${exponent}`}`,
  )

/** The documented rule, written the slow and obvious way. */
function referenceText(text: string): string {
  if (INTEGER.test(text)) return text === '-0' ? '0' : text
  if (DECIMAL.test(text) && Number.isFinite(Number(text))) return String(Number(text))
  return text
}

describe('canonicalText', () => {
  it('normalises numerals whether typed or text, and keeps everything else as written', () => {
    expect(canonicalText('1.50')).toBe('1.5')
    expect(canonicalText('1.0')).toBe('1')
    expect(canonicalText(1.5)).toBe('1.5')
    expect(canonicalText('1e3')).toBe('1000')
    expect(canonicalText('-0')).toBe('0')
    expect(canonicalText('-0.0')).toBe('0')
    expect(canonicalText('0.0000001')).toBe('1e-7')
    expect(canonicalText(1e21)).toBe('1e+21')
    expect(canonicalText('12345678901234567890')).toBe('12345678901234567890')
    expect(canonicalText(12345678901234567890n)).toBe('12345678901234567890')
    for (const kept of ['007', '+1', ' 1', '.5', '5.', '1e400', 'NaN', 'Infinity', '0x10', 'abc'])
      expect(canonicalText(kept)).toBe(kept)
  })

  it('treats empty, null and undefined alike and renders other types as text', () => {
    expect([canonicalText(''), canonicalText(null), canonicalText(undefined)]).toEqual([null, null, null])
    expect(canonicalText(true)).toBe('true')
    expect(canonicalText(new Date(0))).toBe('1970-01-01T00:00:00.000Z')
    expect(canonicalText(Uint8Array.of(1, 2, 3))).toBe('AQID')
    expect(canonicalText({ b: 1, a: [2, 'x', null] })).toBe('{"a":[2,"x",null],"b":1}')
  })

  it('agrees with the reference rule on arbitrary decimal text (fast paths included)', () => {
    fc.assert(
      fc.property(fc.oneof(numeral, fc.double({ noNaN: true }).map(String)), (text) => {
        expect(canonicalText(text)).toBe(referenceText(text))
      }),
      { numRuns: 3000 },
    )
  })

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double().map(String), fc.bigInt().map(String)), (text) => {
        const once = canonicalText(text)
        expect(once === null ? null : canonicalText(once)).toBe(once)
      }),
    )
  })

  it('sorts nested keys by UTF-16 code units', () => {
    expect(canonicalJson({ b: 1, a: 2, B: 3, é: 4 })).toBe('{"B":3,"a":2,"b":1,"é":4}')
  })
})

describe('record digests', () => {
  it('hash the sorted non-empty columns except the label, as documented', async () => {
    const path = join(dir, 'one.csv')
    writeFileSync(path, 'x,label,id,empty\n1.50,cat,7,\n')
    const table = new RecordTable()
    await digestDataset(path, { onRecord: (id, source, label, body) => table.add(id, source, label, body) })
    const body = '{"id":"7","x":"1.5"}'
    expect(Buffer.from(table.bodyDigest(0)).toString('hex')).toBe(
      createHash('sha256').update(body).digest('hex'),
    )
    expect(table.labels[0]).toBe('cat')
    const leaf = createHash('sha256')
      .update(Buffer.concat([Buffer.of(0), digestBody(body), Buffer.from('"cat"')]))
      .digest()
    expect(recordLeaf(digestBody(body), 'cat').equals(leaf)).toBe(true)
  })

  it('are the same for CSV, JSON Lines and Parquet copies of the same records', async () => {
    const csv = join(dir, 'copy.csv')
    writeFileSync(
      csv,
      'id,label,source,score,count,ok,note\n' +
        'a1,1,vendor-x,0.5,3,true,"hello, world"\n' +
        'a2,0,vendor-y,1.0,,false,\n' +
        'a3,1,vendor-x,-2.25,12345678901,true,"say ""hi"""\n',
    )
    const jsonl = join(dir, 'copy.jsonl')
    writeFileSync(
      jsonl,
      [
        '{"note":"hello, world","id":"a1","label":1,"source":"vendor-x","score":0.5,"count":3,"ok":true}',
        '{"id":"a2","label":0,"source":"vendor-y","score":1,"count":null,"ok":false}',
        '{"id":"a3","label":1,"source":"vendor-x","score":-2.25,"count":12345678901,"ok":true,"note":"say \\"hi\\""}',
      ].join('\n'),
    )
    const parquet = join(dir, 'copy.parquet')
    parquetWriteFile({
      filename: parquet,
      columnData: [
        { name: 'id', data: ['a1', 'a2', 'a3'], type: 'STRING' },
        { name: 'label', data: [1n, 0n, 1n], type: 'INT64' },
        { name: 'source', data: ['vendor-x', 'vendor-y', 'vendor-x'], type: 'STRING' },
        { name: 'score', data: [0.5, 1, -2.25], type: 'DOUBLE' },
        { name: 'count', data: [3n, null, 12345678901n], type: 'INT64' },
        { name: 'ok', data: [true, false, true], type: 'BOOLEAN' },
        { name: 'note', data: ['hello, world', null, 'say "hi"'], type: 'STRING' },
      ],
    })
    const digests: DatasetDigest[] = []
    const tables: RecordTable[] = []
    for (const path of [csv, jsonl, parquet]) {
      const table = new RecordTable()
      digests.push(await digestDataset(path, { onRecord: (...record) => table.add(...record) }))
      tables.push(table)
    }
    const view = (digest: DatasetDigest) => ({
      root: digest.merkleRoot,
      sources: digest.sources,
      labels: digest.labels,
      schema: digest.schema.map(({ name, type, nullable }) => ({ name, type, nullable })).sort(byName),
    })
    expect(view(digests[1])).toEqual(view(digests[0]))
    expect(view(digests[2])).toEqual(view(digests[0]))
    expect(new Set(digests.map((digest) => digest.sha256)).size).toBe(3)
    for (const table of tables.slice(1)) {
      expect(table.ids).toEqual(tables[0].ids)
      for (let row = 0; row < 3; row++) expect(table.sameBody(row, tables[0], row)).toBe(true)
    }
    expect(view(digests[0]).schema).toEqual([
      { name: 'count', type: 'integer', nullable: true },
      { name: 'id', type: 'string', nullable: false },
      { name: 'label', type: 'integer', nullable: false },
      { name: 'note', type: 'string', nullable: true },
      { name: 'ok', type: 'boolean', nullable: false },
      { name: 'score', type: 'number', nullable: false },
      { name: 'source', type: 'string', nullable: false },
    ])
  })

  it('are the same whether a numeral is read from CSV bytes or given as text', async () => {
    // The CSV reader copies numerals already in canonical form (or that only lose trailing zeros) from the bytes;
    // JSON Lines strings always take the text path.
    const cells = fc.sample(
      fc.oneof(
        numeral,
        fc.constantFrom('1.4200', '-0.000', '-0', '-0.', '-00.0', '-0.0010', '3.0', '0.50', '10', '.50'),
      ),
      {
        numRuns: 2000,
        seed: 7,
      },
    )
    const csv = join(dir, 'numerals.csv')
    const jsonl = join(dir, 'numerals.jsonl')
    writeFileSync(csv, `id,x,label\n${cells.map((cell, row) => `${row},${cell},${cell}\n`).join('')}`)
    writeFileSync(
      jsonl,
      cells.map((cell, row) => `${JSON.stringify({ id: row, x: cell, label: cell })}\n`).join(''),
    )
    const tables = [new RecordTable(), new RecordTable()]
    const digests = [
      await digestDataset(csv, { onRecord: (...record) => tables[0].add(...record) }),
      await digestDataset(jsonl, { onRecord: (...record) => tables[1].add(...record) }),
    ]
    expect(tables[0].labels).toEqual(cells.map((cell) => canonicalText(cell)))
    expect(tables[1].labels).toEqual(tables[0].labels)
    for (let row = 0; row < cells.length; row++) expect(tables[0].sameBody(row, tables[1], row)).toBe(true)
    expect(digests[0].merkleRoot).toBe(digests[1].merkleRoot)
    expect(digests[0].schema).toEqual(digests[1].schema)
  })

  it('tell true and false from other words of four and five bytes, from CSV bytes as from text', async () => {
    const words = ['true', 'false', 'True', 'fals', 'falsy', 'falsE', 'trum', 'eurt', 'tru', 'truee', 'flase']
    const csv = join(dir, 'words.csv')
    const jsonl = join(dir, 'words.jsonl')
    const columns = words.map((_, index) => `w${index}`)
    writeFileSync(csv, `id,${columns.join(',')}\n1,${words.join(',')}\n2,${words.join(',')}\n`)
    const record = (id: number) => ({
      id,
      ...Object.fromEntries(columns.map((name, index) => [name, words[index]])),
    })
    writeFileSync(jsonl, `${JSON.stringify(record(1))}\n${JSON.stringify(record(2))}\n`)
    const [fromBytes, fromText] = [await digestDataset(csv), await digestDataset(jsonl)]
    const types = Object.fromEntries(fromBytes.schema.map(({ name, type }) => [name, type]))
    expect(words.filter((_, index) => types[`w${index}`] === 'boolean')).toEqual(['true', 'false'])
    expect(fromBytes.schema).toEqual(fromText.schema)
    expect(fromBytes.merkleRoot).toBe(fromText.merkleRoot)
  })

  it('are the same from CSV bytes as from text when long records come between short ones', async () => {
    // CSV bodies are hashed in batches; a record too long for a batch's slot is hashed after the ones before it.
    const rows = Array.from({ length: 150 }, (_, row) => ({
      id: `r${row % 3 === 0 ? row * 1000 : row}`,
      label: row % 4 === 0 ? '' : `l${row % 3}`,
      source: `s${row % 5}`,
      text: row % 7 === 3 ? `long ${'é'.repeat(800 + row)}` : `short ${row}`,
    }))
    const csv = join(dir, 'long.csv')
    const jsonl = join(dir, 'long.jsonl')
    writeFileSync(
      csv,
      `id,label,source,text\n${rows.map(({ id, label, source, text }) => `${id},${label},${source},${text}\n`).join('')}`,
    )
    writeFileSync(jsonl, rows.map((row) => `${JSON.stringify(row)}\n`).join(''))
    const tables = [new RecordTable(), new RecordTable()]
    const digests = [
      await digestDataset(csv, { uniqueIds: true, onRecord: (...record) => tables[0].add(...record) }),
      await digestDataset(jsonl, { uniqueIds: true, onRecord: (...record) => tables[1].add(...record) }),
    ]
    expect(tables[0].ids).toEqual(rows.map(({ id }) => id))
    expect(tables[1].ids).toEqual(tables[0].ids)
    expect(tables[0].labels).toEqual(rows.map(({ label }) => label || null))
    expect(tables[0].sources).toEqual(tables[1].sources)
    for (let row = 0; row < rows.length; row++) expect(tables[0].sameBody(row, tables[1], row)).toBe(true)
    expect(digests[0].merkleRoot).toBe(digests[1].merkleRoot)
    expect(digests[0].sources).toEqual(digests[1].sources)
  })

  it('keep ids, labels and sources with a lone surrogate (JSON can hold one) apart and as written', async () => {
    const path = join(dir, 'surrogates.jsonl')
    const records = [
      { id: '\ud800', label: '\udc00', source: '\ud800', x: 1 },
      { id: '\ud801', label: '\udc00', source: '\ufffd', x: 1 },
      { id: '\ufffd', label: '\ufffd', source: '\ud800', x: 1 },
    ]
    writeFileSync(path, records.map((record) => `${JSON.stringify(record)}\n`).join(''))
    const table = new RecordTable()
    const digest = await digestDataset(path, {
      uniqueIds: true,
      onRecord: (...record) => table.add(...record),
    })
    expect(table.ids).toEqual(records.map((record) => record.id))
    expect(table.labels).toEqual(records.map((record) => record.label))
    expect(table.sources).toEqual(records.map((record) => record.source))
    expect(digest.labels.counts).toEqual({ '\udc00': 2, '\ufffd': 1 })
    expect(digest.sources.map(({ name, count }) => [name, count])).toEqual(
      expect.arrayContaining([
        ['\ud800', 2],
        ['\ufffd', 1],
      ]),
    )
    // One block of three records: the root is that block's leaf, with each label's JSON as JSON.stringify writes it.
    const parts = records.map(({ id, label, source }) => {
      const body = `{"id":${JSON.stringify(id)},"source":${JSON.stringify(source)},"x":"1"}`
      return Buffer.concat([digestBody(body), Buffer.from(JSON.stringify(label))])
    })
    const leaf = createHash('sha256')
      .update(Buffer.concat([Buffer.of(0), ...parts]))
      .digest('hex')
    expect(digest.merkleRoot).toBe(leaf)
  })

  it('make the Merkle root depend on row order', async () => {
    const first = join(dir, 'order-a.csv')
    const second = join(dir, 'order-b.csv')
    writeFileSync(first, 'id,x\n1,a\n2,b\n')
    writeFileSync(second, 'id,x\n2,b\n1,a\n')
    const [a, b] = await Promise.all([digestDataset(first), digestDataset(second)])
    expect(a.merkleRoot).not.toBe(b.merkleRoot)
  })
})

describe('readRawRecords', () => {
  it('streams every column of every record with line numbers and the file digest', async () => {
    const path = join(dir, 'raw.csv')
    const text = 'a,b\n1,"x\ny"\n\n2,\n'
    writeFileSync(path, text)
    const seen: unknown[] = []
    const file = await readRawRecords(path, (record) =>
      seen.push({ columns: [...record.columns], values: [...record.values], line: record.line }),
    )
    expect(seen).toEqual([
      { columns: ['a', 'b'], values: ['1', 'x\ny'], line: 2 },
      { columns: ['a', 'b'], values: ['2', ''], line: 5 },
    ])
    expect(file).toEqual({
      format: 'csv',
      sha256: createHash('sha256').update(text).digest('hex'),
      byteCount: text.length,
      recordCount: 2,
    })
  })

  it('reports records with the wrong number of fields and a repeated column name', async () => {
    const ragged = join(dir, 'ragged.csv')
    writeFileSync(ragged, 'a,b\n1,2\n3\n')
    await expect(readRawRecords(ragged, () => {})).rejects.toThrow(/line 3 has 1 field, header has 2/)
    const repeated = join(dir, 'repeated.csv')
    writeFileSync(repeated, 'a,a\n1,2\n')
    await expect(readRawRecords(repeated, () => {})).rejects.toThrow(/column name "a" appears twice/)
  })
})

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : 1
}
