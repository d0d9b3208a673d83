import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { rgbCsv, unseenDataset } from '../../test/fixtures/unseen.js'
import { loadDataset } from './index.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-colour-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let fileCount = 0

function csvFile(content: string): string {
  const path = join(dir, `colour${++fileCount}.csv`)
  writeFileSync(path, content)
  return path
}

const side = 8
/** Channel `channel` of pixel (x, y) in record `row`: varied over pixels and channels, within 0–255. */
const cellValue = (row: number, x: number, y: number, channel: number) =>
  (row * 97 + y * 24 + x * 3 + channel) % 256

/** A CSV of two 8×8 colour images whose columns are named by `name`, in the order `columns` lists them. */
function colourCsv(
  columns: [x: number, y: number, channel: number][],
  name: (x: number, y: number, channel: number) => string,
) {
  const lines = [['label', ...columns.map(([x, y, channel]) => name(x, y, channel))].join(',')]
  for (let row = 0; row < 2; row++)
    lines.push([String(row), ...columns.map(([x, y, channel]) => cellValue(row, x, y, channel))].join(','))
  return `${lines.join('\n')}\n`
}

function interleavedColumns(): [number, number, number][] {
  const columns: [number, number, number][] = []
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) for (let c = 0; c < 3; c++) columns.push([x, y, c])
  return columns
}

describe('colour image columns', () => {
  it('reads an RGB export as the colour image the fixture declares', async () => {
    const fixture = unseenDataset('rgb-32')
    const sample = {
      ...fixture,
      rowCount: 3,
      features: { ...fixture.features!, rows: 3, data: fixture.features!.data.subarray(0, 3 * 3072) },
      labels: { ...fixture.labels!, codes: fixture.labels!.codes.subarray(0, 3) },
    }
    const dataset = await loadDataset(csvFile(rgbCsv(sample)))
    expect(dataset.imageShape).toEqual(fixture.imageShape)
    expect(dataset.featureNames).toEqual(fixture.featureNames)
    expect(Array.from(dataset.features!.data)).toEqual(Array.from(sample.features.data))
  })

  it('puts channel planes and red/green/blue names in interleaved order', async () => {
    const planar = [0, 1, 2].flatMap((channel) =>
      interleavedColumns().filter((column) => column[2] === channel),
    )
    const names = ['red', 'green', 'blue']
    const dataset = await loadDataset(csvFile(colourCsv(planar, (x, y, c) => `${names[c]}_${y * side + x}`)))
    expect(dataset.imageShape).toEqual({ width: side, height: side, channels: 3 })
    expect(dataset.featureNames.slice(0, 4)).toEqual(['red_0', 'green_0', 'blue_0', 'red_1'])
    const expected = interleavedColumns().map(([x, y, c]) => cellValue(1, x, y, c))
    expect(Array.from(dataset.features!.data.subarray(192))).toEqual(expected)
    expect(dataset.warnings).toEqual([])
  })

  it('reads the columns as a table, with a warning, when a channel of a pixel is missing', async () => {
    const columns = interleavedColumns().filter(([x, y, c]) => !(x === 5 && y === 2 && c === 2))
    const dataset = await loadDataset(csvFile(colourCsv(columns, (x, y, c) => `${'rgb'[c]}_${y}_${x}`)))
    expect(dataset.imageShape).toBeUndefined()
    expect(dataset.features!.cols).toBe(191)
    expect(dataset.warnings).toEqual([
      '191 of the 191 feature columns name colour pixels (like "r_0_0"), but no column holds channel b of pixel (y 2, x 5); they are read as table columns',
    ])
  })
})

describe('colour image folders', () => {
  it('keeps colour images in colour, interleaved, and grey images grey', async () => {
    const root = join(dir, 'colour')
    for (const [label, colour] of [
      ['red', [200, 10, 20]],
      ['grey', [90, 90, 90]],
    ] as const) {
      mkdirSync(join(root, label), { recursive: true })
      const bytes = Buffer.alloc(side * side * 3)
      for (let pixel = 0; pixel < side * side; pixel++) bytes.set(colour, pixel * 3)
      await sharp(bytes, { raw: { width: side, height: side, channels: 3 } })
        .png()
        .toFile(join(root, label, 'a.png'))
    }
    const dataset = await loadDataset(root)
    expect(dataset.imageShape).toEqual({ width: side, height: side, channels: 3 })
    expect(dataset.features!.cols).toBe(side * side * 3)
    expect(dataset.featureNames.slice(0, 3)).toEqual(['r_0_0', 'g_0_0', 'b_0_0'])
    // Rows sorted by path: grey/a.png, then red/a.png.
    expect(Array.from(dataset.features!.data.subarray(192, 195), (value) => Math.round(value * 255))).toEqual(
      [200, 10, 20],
    )
    rmSync(join(root, 'red'), { recursive: true })
    const grey = await loadDataset(root)
    expect(grey.imageShape).toEqual({ width: side, height: side })
    expect(grey.features!.data[0]).toBeCloseTo(90 / 255, 6)
  })
})
