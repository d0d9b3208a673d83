import { readdir, readFile, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { applyAttack } from '../src/attacks/index.js'
import type { Dataset } from '../src/data/dataset.js'
import { loadDataset } from '../src/io/index.js'
import { writeDataset, writtenRecordIds } from '../src/io/write-dataset.js'
import { mixedDataset, mnistDataset, recordAt, sameFloats } from './fixtures/datasets.js'
import { useTemporaryFolder } from './fixtures/files.js'

const temporary = useTemporaryFolder()

/** The same records, compared field by field, row by row. */
function expectSameRecords(loaded: Dataset, written: Dataset): void {
  expect(loaded.rowCount).toBe(written.rowCount)
  expect(loaded.ids).toEqual(written.ids)
  expect(loaded.featureNames).toEqual(written.featureNames)
  expect(loaded.texts).toEqual(written.texts)
  expect(loaded.sources).toEqual(written.sources)
  const names = (dataset: Dataset) =>
    Array.from(dataset.labels!.codes, (code) => (code < 0 ? '' : dataset.labels!.classes[code]))
  expect(names(loaded)).toEqual(names(written))
  expect(sameFloats(loaded.features!.data, written.features!.data)).toBe(true)
}

describe('writeDataset', () => {
  // Added rows, changed pixels, texts with quotes and line breaks, and sources: everything a writer must carry.
  const poisoned = applyAttack('availability', mixedDataset(60), { rate: 0.2, mode: 'flood' }, 1).dataset
  const awkward: Dataset = {
    ...poisoned,
    texts: poisoned.texts!.map((text, row) => (row === 0 ? 'a "quoted", multi\nline text' : text)),
    features: {
      ...poisoned.features!,
      data: Float32Array.from(poisoned.features!.data, (value, index) => (index === 1 ? 1 / 3 : value)),
    },
  }

  it.each(['csv', 'jsonl', 'parquet'] as const)(
    'writes %s that loads back as the same records',
    async (format) => {
      const path = temporary(`poisoned.${format}`)
      const written = await writeDataset(awkward, path, { format })
      expect(written).toEqual({ format, ids: awkward.ids })
      expectSameRecords(await loadDataset(path, { format }), awkward)
    },
  )

  it('writes an image folder of PNGs, one per record, in label folders', async () => {
    const digits = applyAttack('backdoor-patch', mnistDataset(40), { rate: 0.1, target: 1 }, 2).dataset
    const root = temporary('digits')
    const written = await writeDataset(digits, root, { format: 'images' })
    expect(written.ids).toEqual(writtenRecordIds(digits, 'images'))
    expect(written.ids[0]).toBe(`${digits.labels!.classes[digits.labels!.codes[0]]}/m0.png`)
    const loaded = await loadDataset(root)
    expect(loaded.imageShape).toEqual({ width: 28, height: 28 })
    const rowOf = new Map(loaded.ids.map((id, row) => [id, row]))
    written.ids.forEach((id, row) => {
      const back = recordAt(loaded, rowOf.get(id)!)
      const original = recordAt(digits, row)
      expect(back.label).toBe(original.label)
      // PNGs hold bytes: a pixel comes back as the nearest multiple of 1/255 (MNIST's are rounded to 3 decimals).
      const largestError = back.features.reduce(
        (most, value, p) => Math.max(most, Math.abs(value - original.features[p])),
        0,
      )
      expect(largestError).toBeLessThan(0.5 / 255 + 0.001)
    })
    expect((await readdir(root)).sort()).toEqual([...digits.labels!.classes].sort())
  })

  it('refuses to overwrite the input and leaves nothing behind on failure', async () => {
    const path = temporary('input.csv')
    await writeDataset(awkward, path)
    const loaded = await loadDataset(path)
    await expect(writeDataset(loaded, path)).rejects.toThrow('the output would overwrite the input')
    const clash = {
      ...awkward,
      featureNames: awkward.featureNames.map((name, col) => (col === 0 ? 'label' : name)),
    }
    await expect(writeDataset(clash, temporary('clash.csv'))).rejects.toThrow(
      /cannot write feature column "label"/,
    )
    expect(
      (await readdir(temporary(''))).filter((name) => name.startsWith('clash') || name.includes('.tmp')),
    ).toEqual([])
  })

  it('writes the fewest digits that read back as the same float32', async () => {
    const path = temporary('digits.csv')
    const tiny: Dataset = {
      ...mnistDataset(1),
      features: { data: new Float32Array([0.1, 1 / 3, -0, 1e-8, 255]), rows: 1, cols: 5 },
      featureNames: ['a', 'b', 'c', 'd', 'e'],
      imageShape: undefined,
    }
    await writeDataset(tiny, path)
    expect((await readFile(path, 'utf8')).split('\n')[1]).toBe(
      `m0,${tiny.labels!.classes[tiny.labels!.codes[0]]},0.1,0.33333334,0,1e-8,255`,
    )
  })

  describe('a table with a categorical column', () => {
    const colours = ['red', 'blue', 'green']
    async function loadedTable() {
      const path = temporary('colours.csv')
      const lines = ['id,label,size,colour']
      for (let row = 0; row < 60; row++)
        lines.push(
          `c${row},${row % 2 ? 'warm' : 'cool'},${row / 10},${row % 7 === 3 ? '' : colours[row % 3]}`,
        )
      await writeFile(path, `${lines.join('\n')}\n`)
      return loadDataset(path)
    }

    it.each(['csv', 'jsonl', 'parquet'] as const)(
      'writes the column back as its values in %s, so the poisoned copy reads like the input',
      async (format) => {
        const loaded = await loadedTable()
        expect(loaded.featureNames).toEqual(['size', 'colour=blue', 'colour=green', 'colour=red'])
        const poisoned = applyAttack('label-flip', loaded, { rate: 0.2 }, 1).dataset
        const path = temporary(`poisoned-colours.${format}`)
        await writeDataset(poisoned, path, { format })
        const back = await loadDataset(path, { format })
        expectSameRecords(back, poisoned)
        expect(back.diagnostics?.categoricalColumns).toEqual([
          { name: 'colour', values: ['blue', 'green', 'red'] },
        ])
        if (format === 'csv') {
          const [header, first] = (await readFile(path, 'utf8')).split('\n')
          expect(header).toBe('id,label,size,colour')
          expect(first.endsWith(',0,red')).toBe(true)
        }
      },
    )

    it('writes a group as numbers once its cells are no longer one-hot', async () => {
      const loaded = await loadedTable()
      const data = Float32Array.from(loaded.features!.data)
      data[1] = 0.5
      const moved: Dataset = { ...loaded, features: { ...loaded.features!, data } }
      const path = temporary('moved.csv')
      await writeDataset(moved, path)
      expect((await readFile(path, 'utf8')).split('\n')[0]).toBe(
        'id,label,size,colour=blue,colour=green,colour=red',
      )
      expectSameRecords(await loadDataset(path), moved)
    })
  })
})
