import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PoisonguardError } from '../../errors.js'
import { loadDataset, writeFilteredDataset } from '../index.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-images-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Writes a uniform grayscale image of the given value. */
async function grayImage(
  path: string,
  value: number,
  side = 8,
  format: 'png' | 'jpeg' = 'png',
): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true })
  const image = sharp(Buffer.alloc(side * side, value), { raw: { width: side, height: side, channels: 1 } })
  await (format === 'png' ? image.png() : image.jpeg({ quality: 100 })).toFile(path)
}

const root = join(dir, 'digits')

beforeAll(async () => {
  await grayImage(join(root, 'seven', 'b.png'), 255)
  await grayImage(join(root, 'one', 'a.png'), 0)
  await grayImage(join(root, 'one', 'b.png'), 51)
  await grayImage(join(root, 'seven', 'a.jpg'), 102, 8, 'jpeg')
  writeFileSync(join(root, 'README.txt'), 'not data')
  writeFileSync(join(root, 'one', 'notes.md'), 'not data')
})

function folderFiles(path: string): string[] {
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(path.length + 1))
    .sort()
}

describe('image folders', () => {
  it('loads label folders as grayscale pixels in [0,1], sorted by path', async () => {
    const dataset = await loadDataset(root)
    expect(dataset.origin.format).toBe('images')
    expect(dataset.ids).toEqual(['one/a.png', 'one/b.png', 'seven/a.jpg', 'seven/b.png'])
    expect(dataset.labels?.classes).toEqual(['one', 'seven'])
    expect(Array.from(dataset.labels!.codes)).toEqual([0, 0, 1, 1])
    expect(dataset.imageShape).toEqual({ width: 8, height: 8 })
    expect(dataset.features?.cols).toBe(64)
    const firstPixels = [0, 1, 2, 3].map((row) => dataset.features!.data[row * 64])
    expect(firstPixels[0]).toBe(0)
    expect(firstPixels[1]).toBeCloseTo(0.2, 5)
    expect(firstPixels[2]).toBeCloseTo(0.4, 1)
    expect(firstPixels[3]).toBe(1)
    expect(dataset.warnings).toEqual([
      'skipped 2 file(s) that are not images in a label folder: README.txt, one/notes.md',
    ])
    expect(dataset.origin.sha256).toBe((await loadDataset(root)).origin.sha256)
  })

  it('resizes to imageSize, and to 32 when sizes differ', async () => {
    expect((await loadDataset(root, { imageSize: 4 })).imageShape).toEqual({ width: 4, height: 4 })
    const mixed = join(dir, 'mixed')
    await grayImage(join(mixed, 'a', '1.png'), 10, 8)
    await grayImage(join(mixed, 'b', '1.png'), 10, 12)
    const dataset = await loadDataset(mixed)
    expect(dataset.imageShape).toEqual({ width: 32, height: 32 })
    expect(dataset.features!.data[0]).toBeCloseTo(10 / 255, 5)
    // Findings name pixel values as the files hold them.
    expect(dataset.imageFileScale).toBe(255)
  })

  it('names a file that is not an image', async () => {
    const broken = join(dir, 'broken')
    await grayImage(join(broken, 'a', 'ok.png'), 0)
    mkdirSync(join(broken, 'b'))
    writeFileSync(join(broken, 'b', 'fake.png'), 'this is text')
    for (const options of [{}, { imageSize: 8 }]) {
      const error = await loadDataset(broken, options).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(PoisonguardError)
      expect((error as PoisonguardError).code).toBe('INVALID_IMAGE')
      expect((error as PoisonguardError).message).toContain(join(broken, 'b', 'fake.png'))
    }
  })

  it('copies the kept images into the same layout and moves relabelled ones', async () => {
    const dataset = await loadDataset(root)
    const outPath = join(dir, 'clean')
    // Row 1 is one/b.png, relabelled to seven where b.png already exists.
    await writeFilteredDataset(dataset, Uint8Array.of(0, 1, 1, 1), outPath, {
      relabel: new Map([[1, 'seven']]),
    })
    expect(folderFiles(outPath)).toEqual(['seven/a.jpg', 'seven/b.from-one.png', 'seven/b.png'])
    expect(readFileSync(join(outPath, 'seven', 'b.from-one.png'))).toEqual(
      readFileSync(join(root, 'one', 'b.png')),
    )
    const error = await writeFilteredDataset(dataset, Uint8Array.of(1, 1, 1, 1), outPath).catch(
      (caught) => caught,
    )
    expect((error as PoisonguardError).code).toBe('OUTPUT_ERROR')
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })
})
