import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PoisonguardError } from '../../errors.js'
import { createRng } from '../../util/rng.js'
import { type LoadOptions, loadDataset, writeFilteredDataset } from '../index.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-csv-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let fileCount = 0

function csvFile(content: string | Buffer, name = `data${++fileCount}.csv`): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

async function loadError(content: string | Buffer, options?: LoadOptions): Promise<PoisonguardError> {
  const path = csvFile(content)
  const error = await loadDataset(path, options).then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!(error instanceof PoisonguardError)) throw new Error(`expected a PoisonguardError, got ${error}`)
  expect(error.message).toContain(path)
  return error
}

describe('loadDataset (CSV)', () => {
  it('applies the column conventions', async () => {
    const content =
      'id,label,text,source,x,y,note\na1,cat,"hello, world",web,1.5,2,ok\na2,dog,bye,api,3,-4e1,fine\n'
    const path = csvFile(content)
    const dataset = await loadDataset(path)
    expect(dataset.rowCount).toBe(2)
    expect(dataset.ids).toEqual(['a1', 'a2'])
    expect(dataset.labels).toEqual({ name: 'label', classes: ['cat', 'dog'], codes: Int32Array.of(0, 1) })
    expect(dataset.texts).toEqual(['hello, world', 'bye'])
    expect(dataset.textColumn).toBe('text')
    expect(dataset.sources).toEqual(['web', 'api'])
    expect(dataset.featureNames).toEqual(['x', 'y'])
    expect(dataset.features).toEqual({ data: Float32Array.of(1.5, 2, 3, -40), rows: 2, cols: 2 })
    expect(dataset.imageShape).toBeUndefined()
    expect(dataset.warnings).toEqual([
      'ignored non-numeric column(s) "note"; choose features with --features',
    ])
    expect(dataset.origin).toMatchObject({ path, format: 'csv', byteCount: Buffer.byteLength(content) })
    expect(dataset.origin.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it('encodes categorical columns as one-hot columns and drops free text, mixed, constant and chosen text columns', async () => {
    const colours = ['red', 'blue', 'red', '', 'green', 'blue']
    const rows = Array.from({ length: 120 }, (_, row) => {
      const colour = colours[row % colours.length]
      // 60 distinct words: past the cap of 50, so free text even though each repeats.
      return `${row},${row % 2},${colour},word${row % 60},${row % 10 === 0 ? row : 'yes'},${row},same`
    })
    const path = csvFile(`id,label,colour,note,mixed,x,kind\n${rows.join('\n')}\n`)
    const dataset = await loadDataset(path)
    expect(dataset.featureNames).toEqual(['colour=blue', 'colour=green', 'colour=red', 'x'])
    expect(Array.from(dataset.features!.data.subarray(0, 24))).toEqual([
      0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 2, 0, 0, 0, 3, 0, 1, 0, 4, 1, 0, 0, 5,
    ])
    expect(dataset.imageShape).toBeUndefined()
    expect(dataset.warnings).toEqual([
      'encoded categorical column(s) "colour" (3 values) as one-hot columns',
      'ignored non-numeric column(s) "note", "mixed", "kind"; choose features with --features',
    ])
    // The filtered copy is the file's own records, so it holds the colours, not the one-hot columns.
    const out = join(dir, 'categorical-kept.csv')
    await writeFilteredDataset(
      dataset,
      Uint8Array.from({ length: 120 }, (_, row) => (row < 4 ? 1 : 0)),
      out,
    )
    expect(readFileSync(out, 'utf8')).toBe(
      `id,label,colour,note,mixed,x,kind\n${rows.slice(0, 4).join('\n')}\n`,
    )
    // Named as a feature, a categorical column is encoded the same way; free text named so is an error.
    const chosen = await loadDataset(csvFile('x,colour\n1,red\n2,blue\n3,red\n4,red\n5,blue\n'), {
      features: ['x', 'colour'],
      label: false,
    })
    expect(chosen.featureNames).toEqual(['x', 'colour=blue', 'colour=red'])
    expect(Array.from(chosen.features!.data.subarray(0, 6))).toEqual([1, 0, 1, 2, 1, 0])
    const free = await loadError(`x,note\n1,a\n2,b\n3,c\n`, { features: ['x', 'note'] })
    expect(free.message).toContain(
      '"a" is not a number, but the column was chosen as a feature and its words',
    )
    const mixed = await loadError(`x,size\n1,big\n2,3\n3,big\n4,5\n5,6\n`, { features: ['x', 'size'] })
    expect(mixed.message).toContain('chosen as a feature and 3 of its 5 values are numbers')
  })

  it('reads a column of a few numbers and words, each a category, as categories (car doors 2, 3, 4, 5more)', async () => {
    const doors = ['2', '3', '4', '5more']
    const persons = ['2', '4', 'more']
    const rows = Array.from(
      { length: 200 },
      (_, row) => `${row % 3 === 0 ? 'unacc' : 'acc'},${doors[row % 4]},${persons[row % 3]},${row % 7}`,
    )
    const dataset = await loadDataset(csvFile(`label,doors,persons,x\n${rows.join('\n')}\n`))
    expect(dataset.featureNames).toEqual([
      'doors=2',
      'doors=3',
      'doors=4',
      'doors=5more',
      'persons=2',
      'persons=4',
      'persons=more',
      'x',
    ])
    expect(Array.from(dataset.features!.data.subarray(8 * 3, 8 * 4))).toEqual([0, 0, 0, 1, 1, 0, 0, 3])
    expect(dataset.warnings).toContain(
      'encoded categorical column(s) "doors" (4 values), "persons" (3 values) as one-hot columns',
    )
    // Chosen as a feature, it is encoded the same way.
    const chosen = await loadDataset(csvFile(`label,doors,persons,x\n${rows.join('\n')}\n`), {
      features: ['doors'],
    })
    expect(chosen.featureNames).toEqual(['doors=2', 'doors=3', 'doors=4', 'doors=5more'])
    // A word in one cell of a column of few numbers is a mistake, not a category.
    const stray = rows.map((row, index) => (index === 5 ? row.replace(/,[^,]*$/, ',oops') : row))
    const error = await loadError(`label,doors,persons,x\n${stray.join('\n')}\n`)
    expect(error.message).toContain(
      'column "x": "oops" is not a number, but 199 of the column\'s 200 values are numbers',
    )
  })

  it('honours explicit columns, label: false and row-number ids', async () => {
    const path = csvFile('label,klass,a,b,c\n1,x,1,2,3\n0,y,4,5,6\n')
    const dataset = await loadDataset(path, { label: 'klass', features: ['c', 'a'] })
    expect(dataset.ids).toEqual(['1', '2'])
    expect(dataset.labels?.classes).toEqual(['x', 'y'])
    expect(dataset.featureNames).toEqual(['c', 'a'])
    expect(Array.from(dataset.features!.data)).toEqual([3, 1, 6, 4])
    const unlabelled = await loadDataset(path, { label: false })
    expect(unlabelled.labels).toBeUndefined()
    expect(unlabelled.featureNames).toEqual(['a', 'b', 'c'])
  })

  it('reads a BOM, CRLF line ends and quoted numbers', async () => {
    const dataset = await loadDataset(csvFile('\ufeffid,label,v\r\n"1",a,"2.5"\r\n2,b, 3 \r\n'))
    expect(dataset.ids).toEqual(['1', '2'])
    expect(Array.from(dataset.features!.data)).toEqual([2.5, 3])
  })

  it('fills empty feature cells with the column mean and says so', async () => {
    const dataset = await loadDataset(csvFile('x,y\n1,\n,4\n3,8\n5,\n'))
    expect(Array.from(dataset.features!.data)).toEqual([1, 6, 3, 4, 3, 8, 5, 6])
    expect(dataset.warnings).toEqual([
      'filled empty feature cells with the column mean: 1 in "x" (mean 3), 2 in "y" (mean 6)',
    ])
  })

  it('treats a square block of pixel columns within [0,255] as an image', async () => {
    const header = ['label', ...Array.from({ length: 64 }, (_, pixel) => `p${pixel}`)].join(',')
    const row = (value: number) => ['7', ...new Array(64).fill(value)].join(',')
    const dataset = await loadDataset(csvFile(`${header}\n${row(0)}\n${row(255)}\n`))
    expect(dataset.imageShape).toEqual({ width: 8, height: 8 })
    expect(dataset.features!.data[64]).toBe(255)
    const notImage = await loadDataset(csvFile(`${header}\n${row(0)}\n${row(256)}\n`))
    expect(notImage.imageShape).toBeUndefined()
  })

  it('takes a square table of independent 0/1 columns for a table, and smooth strokes for an image', async () => {
    const rng = createRng(5)
    const side = 16
    const basket = Array.from({ length: 200 }, () =>
      Array.from({ length: side * side }, () => (rng.next() < 0.2 ? 1 : 0)),
    )
    // A bar of ink across each image at a random height, two pixels thick: neighbours share their value.
    const strokes = Array.from({ length: 200 }, () => {
      const top = Math.floor(rng.next() * (side - 2))
      return Array.from({ length: side * side }, (_, pixel) =>
        Math.floor(pixel / side) - top === 0 || Math.floor(pixel / side) - top === 1 ? 255 : 0,
      )
    })
    const table = (prefix: string, rows: number[][]) =>
      [
        ['label', ...rows[0].map((_, col) => `${prefix}${col}`)].join(','),
        ...rows.map((row, index) => [index % 2 ? 'a' : 'b', ...row].join(',')),
      ].join('\n')
    expect((await loadDataset(csvFile(table('item_', basket)))).imageShape).toBeUndefined()
    expect((await loadDataset(csvFile(table('c', strokes)))).imageShape).toEqual({
      width: side,
      height: side,
    })
    // Columns named as pixels are an image whatever their values.
    expect((await loadDataset(csvFile(table('pixel', basket)))).imageShape).toEqual({
      width: side,
      height: side,
    })
  })

  it('reports progress up to 1', async () => {
    const fractions: number[] = []
    await loadDataset(csvFile('x\n1\n2\n'), { onProgress: (fraction) => fractions.push(fraction) })
    expect(fractions.at(-1)).toBe(1)
    expect(fractions.every((fraction, index) => fraction >= (fractions[index - 1] ?? 0))).toBe(true)
  })
})

describe('loadDataset (CSV) rejects bad input', () => {
  it('an empty file', async () => {
    const error = await loadError('')
    expect(error.code).toBe('EMPTY_FILE')
    expect(error.message).toMatch(/empty/)
  })

  it('a header without records', async () => {
    const error = await loadError('id,label,x\n')
    expect(error.code).toBe('EMPTY_FILE')
    expect(error.message).toMatch(/no records/)
  })

  it('ragged rows, listing each one', async () => {
    const error = await loadError('a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3\n1,2,3,4,5\n')
    expect(error.code).toBe('PARSE_ERROR')
    expect(error.message).toMatch(/line 7, row 6: line 7 has 3 fields, header has 4 \(and 1 more problem\)$/)
    expect(error.issues.map((issue) => issue.line)).toEqual([7, 8])
  })

  it('an unterminated quote, naming the line where it opened', async () => {
    const error = await loadError('a,b\n1,2\n3,"oops\n5,6\n')
    expect(error.code).toBe('PARSE_ERROR')
    expect(error.message).toMatch(/line 3: the quote opened on this line is never closed/)
  })

  it('bytes that are not UTF-8, naming the line', async () => {
    const error = await loadError(
      Buffer.concat([Buffer.from('id,name\n1,ok\n2,caf'), Buffer.of(0xe9), Buffer.from('\n')]),
    )
    expect(error.code).toBe('ENCODING_ERROR')
    expect(error.message).toMatch(/line 3: byte 0xe9 \(byte offset 18\) is not valid UTF-8/)
  })

  it('text in a numeric feature column, with column, row, value and a --features hint', async () => {
    const error = await loadError('id,x,y\n1,1.5,2\n2,abc,3\n3,4,n/a\n')
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toMatch(
      /line 3, row 2, column "x": "abc" is not a number, but 2 of the column's 3 values are numbers \(and 1 more problem\)/,
    )
    expect(error.issues[1]).toMatchObject({ line: 4, row: 3, column: 'y' })
    expect(error.hint).toMatch(/--features/)
  })

  it('collects at most 20 bad cells but counts them all', async () => {
    // Forty distinct numbers: the column is numeric, not a few categories, so every word in it is a problem.
    const numbers = Array.from({ length: 40 }, (_, row) => `${row},${row}`).join('\n')
    const words = Array.from({ length: 30 }, (_, row) => `${row},bad`).join('\n')
    const error = await loadError(`x,y\n${numbers}\n${words}\n`)
    expect(error.issues).toHaveLength(20)
    expect(error.message).toMatch(/30 problems in total; the first 20 are listed/)
  })

  it('NaN and Infinity in feature columns', async () => {
    const error = await loadError('x,y\n1,2\nNaN,3\n4,-Infinity\n')
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.issues.map((issue) => [issue.column, issue.row])).toEqual([
      ['x', 2],
      ['y', 3],
    ])
    expect(error.message).toMatch(/"NaN" is not a finite number/)
  })

  it('a text column named as a feature', async () => {
    const error = await loadError('name,x\nann,1\n', { features: ['name', 'x'] })
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toMatch(
      /column "name": "ann" is not a number, but the column was chosen as a feature/,
    )
  })

  it('duplicate ids, naming both rows', async () => {
    const error = await loadError('id,x\na,1\nb,2\na,3\n')
    expect(error.code).toBe('DUPLICATE_ID')
    expect(error.message).toMatch(/line 4, row 3, column "id": id "a" is on rows 1 and 3/)
  })

  it('requested columns that do not exist, listing the ones that do', async () => {
    const error = await loadError('id,Label,x\n1,a,2\n', { label: 'label', features: ['x', 'z'] })
    expect(error.code).toBe('MISSING_COLUMN')
    expect(error.message).toMatch(
      /there is no column "label" \(asked for by --label\); did you mean "Label"\?/,
    )
    expect(error.message).toMatch(/there is no column "z" \(asked for by --features\)/)
    expect(error.message).toMatch(/The columns are: id, Label, x$/)
  })

  it('a line longer than maxLineBytes', async () => {
    const error = await loadError(`x\n1\n${'9'.repeat(200)}\n`, { maxLineBytes: 100 })
    expect(error.code).toBe('LINE_TOO_LONG')
    expect(error.message).toMatch(
      /line 3: the record starting on this line is longer than the limit of 100 bytes/,
    )
  })

  it('a duplicated header name and a semicolon-separated file', async () => {
    expect((await loadError('a,b,a\n1,2,3\n')).message).toMatch(/column name "a" appears twice/)
    expect((await loadError('a;b\n1;2\n')).message).toMatch(/separated by ";"/)
  })
})
