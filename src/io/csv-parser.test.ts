import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PoisonguardError } from '../errors.js'
import { encodeCsvField } from './csv-field.js'
import { BufferViews, CsvTokenizer, plainFieldEnd } from './csv-parser.js'
import { fieldText } from './csv-record.js'

interface Parsed {
  fields: string[]
  raw: string
  line: number
  byteOffset: number
}

/** Tokenizes `text` fed in chunks of the given sizes (cycled). */
function tokenize(text: string | Buffer, chunkSizes: number[] = [1 << 16], maxLineBytes = 1 << 20): Parsed[] {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text
  const records: Parsed[] = []
  const tokenizer = new CsvTokenizer('test.csv', maxLineBytes, (record) => {
    records.push({
      fields: Array.from({ length: record.fieldCount }, (_, field) => fieldText(record, field)),
      raw: record.bytes.toString('utf8', record.start, record.end),
      line: record.line,
      byteOffset: record.byteOffset,
    })
  })
  let position = 0
  for (let chunk = 0; position < bytes.length; chunk++) {
    const size = Math.max(1, chunkSizes[chunk % chunkSizes.length])
    tokenizer.push(bytes.subarray(position, position + size))
    position += size
  }
  tokenizer.finish()
  return records
}

const fieldsOf = (text: string, chunkSizes?: number[]) =>
  tokenize(text, chunkSizes).map((record) => record.fields)

function thrown(run: () => unknown): PoisonguardError {
  try {
    run()
  } catch (error) {
    if (error instanceof PoisonguardError) return error
    throw error
  }
  throw new Error('expected a PoisonguardError')
}

describe('CsvTokenizer', () => {
  it('reads quoted fields with escaped quotes, commas and line breaks', () => {
    const text = 'a,b,c\n"x, y","say ""hi""","two\nlines"\n'
    expect(fieldsOf(text)).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'two\nlines'],
    ])
  })

  it('accepts CRLF, LF and CR line ends and a missing final newline', () => {
    expect(fieldsOf('a,b\r\n1,2\n3,4\r5,6')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ])
  })

  it('strips a UTF-8 BOM from the first field but keeps it in the raw header', () => {
    const records = tokenize('\ufeffid,label\n1,x\n')
    expect(records[0].fields).toEqual(['id', 'label'])
    expect(records[0].raw).toBe('\ufeffid,label\n')
  })

  it('keeps empty fields and skips blank lines', () => {
    expect(fieldsOf('a,b,c\n,,\n\n1,"",3\n\r\n')).toEqual([
      ['a', 'b', 'c'],
      ['', '', ''],
      ['1', '', '3'],
    ])
  })

  it('reports the physical line of each record and its byte offset', () => {
    const text = 'h\n"multi\nline"\nnext\n'
    const records = tokenize(text)
    expect(records.map((record) => record.line)).toEqual([1, 2, 4])
    expect(records.map((record) => record.byteOffset)).toEqual([0, 2, 15])
  })

  it('gives the same records whatever the chunk boundaries', () => {
    const text = '\ufeffid,"na,me",v\r\n1,"a ""b""\r\nc",2\r\n2,plain,"3"\r\n'
    const expected = tokenize(text)
    for (const sizes of [[1], [2], [3], [1, 5, 2], [7]]) expect(tokenize(text, sizes)).toEqual(expected)
  })

  it('gives the same records when records longer than a chunk, or than the copied head of one, cross boundaries', () => {
    const long = (size: number, seed: string) => `"${seed.repeat(size)}\n${seed}""${seed}"`
    const text = `id,text\n1,${long(70_000, 'a')}\n2,short\n3,${long(150_000, 'b,')}\r\n4,x\r`
    const expected = tokenize(text, [1 << 22])
    expect(expected.map((record) => record.fields[0])).toEqual(['id', '1', '2', '3', '4'])
    for (const sizes of [[1 << 16], [50_000, 90_000], [1 << 20, 3], [100_001]])
      expect(tokenize(text, sizes)).toEqual(expected)
  })

  it('round-trips any table of strings through encodeCsvField, in any chunking', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'é', '"', ',', '\n', '\r', ' ', '1', '€') })
    const table = fc
      .integer({ min: 1, max: 4 })
      .chain((width) =>
        fc.array(fc.array(cell, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 6 }),
      )
    fc.assert(
      fc.property(
        table,
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        (rows, sizes) => {
          // A record of one empty field is a blank line, which is skipped by design.
          const kept = rows.filter((row) => !(row.length === 1 && row[0] === ''))
          const text = kept.map((row) => `${row.map(encodeCsvField).join(',')}\r\n`).join('')
          expect(fieldsOf(text, sizes)).toEqual(kept)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('numbers lines by the line feeds before each record, however many a quoted field holds, in any chunking', () => {
    const cell = fc.string({
      unit: fc.constantFrom('a', '"', ',', '\n', '\r', '\n\n\n\n\n', 'é'),
      maxLength: 40,
    })
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 1, maxLength: 5 }),
        (rows, sizes) => {
          const text = Buffer.from(rows.map((row) => `${row.map(encodeCsvField).join(',')}\n`).join(''))
          const records = tokenize(text, sizes)
          const lineFeedsBefore = (offset: number) =>
            text.subarray(0, offset).filter((byte) => byte === 10).length
          expect(records.map((record) => record.line)).toEqual(
            records.map((record) => 1 + lineFeedsBefore(record.byteOffset)),
          )
          expect(records.length).toBe(rows.length)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('names the line where an unterminated quote opened', () => {
    const error = thrown(() => tokenize('a,b\n1,2\n3,"open\nstill open\n'))
    expect(error.code).toBe('PARSE_ERROR')
    expect(error.message).toBe('test.csv, line 3: the quote opened on this line is never closed')
  })

  it('rejects text after a closing quote', () => {
    const error = thrown(() => tokenize('a,b\n"x"y,2\n'))
    expect(error.code).toBe('PARSE_ERROR')
    expect(error.message).toMatch(/line 2: unexpected "y" after a closing quote/)
  })

  it('stops a record longer than maxLineBytes with the line number, without buffering the rest', () => {
    const long = `a,b\n1,2\n3,${'x'.repeat(5000)}\n`
    const error = thrown(() => tokenize(long, [64], 1000))
    expect(error.code).toBe('LINE_TOO_LONG')
    expect(error.message).toMatch(/line 3: .*longer than the limit of 1000 bytes/)
    const unterminated = thrown(() => tokenize(`a\n"${'y\n'.repeat(3000)}`, [100], 1000))
    expect(unterminated.code).toBe('LINE_TOO_LONG')
    expect(unterminated.message).toMatch(/line 2:/)
  })

  it('ends a plain field at the first comma, LF or CR whatever bytes surround it, four bytes at a time', () => {
    // Bytes next to the delimiters, and bytes whose XOR with a delimiter has its high bit set, must not match.
    const fillers = [0x2b, 0x2d, 0x09, 0x0b, 0x0c, 0x0e, 0x00, 0x01, 0x80, 0x8a, 0x8d, 0xac, 0xff, 0x61]
    const found: number[] = []
    const expected: number[] = []
    for (const delimiter of [0x2c, 0x0a, 0x0d]) {
      for (const filler of fillers) {
        for (let length = 0; length <= 11; length++) {
          for (let place = 0; place <= length; place++) {
            const bytes = Buffer.alloc(length, filler)
            if (place < length) bytes[place] = delimiter
            // A second delimiter after the first must not move the answer.
            if (place + 2 < length) bytes[place + 2] = 0x2c
            found.push(plainFieldEnd(bytes, new BufferViews().of(bytes), 0))
            expected.push(place)
          }
        }
      }
    }
    expect(found).toEqual(expected)
  })

  it('finds the same field ends as a byte at a time search from every start in a mixed buffer', () => {
    const bytes = Buffer.from('id,text\r\n1,caf\u00e9 \u20ac\n22,"a,b"\r333,,x\n4444,\u00ff\u00fe end')
    const views = new BufferViews()
    const byteAtATime = (start: number) => {
      let position = start
      while (position < bytes.length && ![0x2c, 0x0a, 0x0d].includes(bytes[position])) position++
      return position
    }
    const starts = Array.from({ length: bytes.length + 1 }, (_, start) => start)
    expect(starts.map((start) => plainFieldEnd(bytes, views.of(bytes), start))).toEqual(
      starts.map(byteAtATime),
    )
  })
})
