import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPoisonguardError } from '../../errors.js'
import { loadDataset } from '../load.js'
import {
  builtinDatasets,
  formatPixel,
  getBuiltinDataset,
  listBuiltinDatasets,
  loadMnistArrays,
} from './index.js'

let folder: string
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'poisonguard-datasets-'))
})
afterAll(async () => {
  await rm(folder, { recursive: true, force: true })
})

describe('formatPixel', () => {
  it('prints integers bare and fractions with at most 4 decimals, no trailing zeros', () => {
    expect(formatPixel(0)).toBe('0')
    expect(formatPixel(1)).toBe('1')
    expect(formatPixel(Math.fround(0.624))).toBe('0.624')
    expect(formatPixel(Math.fround(0.5))).toBe('0.5')
    expect(formatPixel(0.123456)).toBe('0.1235')
    expect(formatPixel(0.00001)).toBe('0')
  })
})

describe('builtinDatasets', () => {
  it('lists mnist and spam with their formats and row counts', () => {
    expect(listBuiltinDatasets().map(({ name, rows, format }) => [name, rows, format])).toEqual([
      ['mnist', 10_000, 'csv'],
      ['spam', 6_046, 'jsonl'],
    ])
    expect(getBuiltinDataset('spam')).toBe(builtinDatasets.spam)
  })

  it('rejects an unknown name with the valid ones', () => {
    expect(() => getBuiltinDataset('cifar')).toThrow(/unknown built-in dataset "cifar".*mnist, spam/)
  })

  it('exports mnist as CSV with an id,label,p0…p783 header and the requested rows', async () => {
    const out = join(folder, 'mnist.csv')
    await builtinDatasets.mnist.write(out, { limit: 25 })
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n')
    const header = lines[0].split(',')
    expect(header.length).toBe(786)
    expect(header.slice(0, 3)).toEqual(['id', 'label', 'p0'])
    expect(header[785]).toBe('p783')
    expect(lines.length).toBe(26)
    const { pixels, labels } = loadMnistArrays()
    for (let row = 0; row < 25; row++) {
      const cells = lines[row + 1].split(',')
      expect(cells.length).toBe(786)
      expect(cells[0]).toBe(String(row + 1))
      expect(cells[1]).toBe(String(labels[row]))
      for (let pixel = 0; pixel < 784; pixel += 13) {
        expect(Number(cells[pixel + 2])).toBeCloseTo(pixels[row * 784 + pixel], 4)
      }
    }
    expect(lines[1]).not.toMatch(/\.\d*0(,|$)|\.\d{5}/)
  })

  it('reports export progress rising to 1', async () => {
    const reports: number[] = []
    await builtinDatasets.spam.write(join(folder, 'spam-progress.jsonl'), {
      limit: 1_200,
      onProgress: (fraction) => reports.push(fraction),
    })
    expect(reports).toEqual([500 / 1_200, 1_000 / 1_200, 1])
  })

  it('exports spam as JSON Lines of id, text and label', async () => {
    const out = join(folder, 'spam.jsonl')
    await builtinDatasets.spam.write(out, { limit: 10 })
    const rows = (await readFile(out, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(rows.length).toBe(10)
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(['id', 'text', 'label'])
      expect(['spam', 'ham']).toContain(row.label)
      expect(row.text.length).toBeGreaterThan(100)
    }
  })

  /** The same first rows of a built-in dataset written under two names, loaded back. */
  async function writtenTwice(name: 'mnist' | 'spam', files: [string, string], limit: number) {
    const paths = files.map((file) => join(folder, file))
    for (const path of paths) await builtinDatasets[name].write(path, { limit })
    return Promise.all(paths.map((path) => loadDataset(path)))
  }

  it('writes the format the output names, and each file loads back as the same records', async () => {
    const [fromCsv, fromJsonl] = await writtenTwice('spam', ['spam.csv', 'spam-same.jsonl'], 40)
    expect(fromCsv.ids).toEqual(fromJsonl.ids)
    expect(fromCsv.labels?.classes).toEqual(fromJsonl.labels?.classes)
    expect(fromCsv.labels?.codes).toEqual(fromJsonl.labels?.codes)
    expect(fromCsv.texts).toEqual(fromJsonl.texts)
    expect(fromCsv.texts?.some((text) => text.includes('"') && text.includes('\n'))).toBe(true)

    const [digitsJsonl, digitsCsv] = await writtenTwice('mnist', ['mnist.jsonl', 'mnist-same.csv'], 30)
    expect(digitsJsonl.ids).toEqual(digitsCsv.ids)
    expect(digitsJsonl.featureNames).toEqual(digitsCsv.featureNames)
    expect(digitsJsonl.features).toEqual(digitsCsv.features)
    expect(digitsJsonl.labels?.codes).toEqual(digitsCsv.labels?.codes)
  })

  it('writes Parquet from the records, and the dataset’s own format without a known extension', async () => {
    const [fromParquet, fromCsv] = await writtenTwice('mnist', ['mnist.parquet', 'mnist-20.csv'], 20)
    expect(fromParquet.ids).toEqual(fromCsv.ids)
    expect(fromParquet.labels?.codes).toEqual(fromCsv.labels?.codes)
    expect(fromParquet.features?.data).toEqual(fromCsv.features?.data)
    const [spamParquet] = await writtenTwice('spam', ['spam.parquet', 'spam-5.csv'], 5)
    expect(spamParquet.texts?.length).toBe(5)
    const bare = join(folder, 'spam-export')
    await builtinDatasets.spam.write(bare, { limit: 3 })
    expect(JSON.parse((await readFile(bare, 'utf8')).split('\n')[0]).label).toMatch(/^(spam|ham)$/)
  })

  it('leaves no file behind when writing fails, and validates the limit first', async () => {
    const missingFolder = join(folder, 'missing', 'mnist.csv')
    const failure = await builtinDatasets.mnist.write(missingFolder, { limit: 2 }).catch((error) => error)
    expect(isPoisonguardError(failure) && failure.code).toBe('OUTPUT_ERROR')
    const badLimit = await builtinDatasets.spam.write(join(folder, 'x.jsonl'), { limit: -1 }).catch((e) => e)
    expect(isPoisonguardError(badLimit) && badLimit.code).toBe('INVALID_ARGUMENT')
    expect((await readdir(folder)).filter((name) => name.endsWith('.tmp') || name === 'x.jsonl')).toEqual([])
  })
})
