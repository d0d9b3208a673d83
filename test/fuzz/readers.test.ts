import { writeFile } from 'node:fs/promises'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadDataset } from '../../src/io/index.js'
import { parseNpy } from '../../src/io/npy.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { loadedOrRefused } from './mutate.js'

const temporary = useTemporaryFolder()

describe('properties of the readers', () => {
  it('any bytes are loaded or refused with a PoisonguardError, in every format', async () => {
    const formats = ['csv', 'jsonl', 'parquet'] as const
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(...formats),
        async (bytes, format) => {
          const path = temporary(`any.${format}`)
          await writeFile(path, bytes)
          await loadedOrRefused(() => loadDataset(path), `${format} bytes`)
          await loadedOrRefused(() => parseNpy(Buffer.from(bytes), 'any.npy'), 'npy bytes')
        },
      ),
      { numRuns: 300, seed: 5 },
    )
  })

  it('any table of ids, labels, texts and float32 features round-trips through CSV and JSON Lines', async () => {
    const record = fc.record({
      label: fc.constantFrom('a', 'b', 'c'),
      text: fc.string({ maxLength: 20 }),
      x: fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 20 }), async (records) => {
        const csvLines = records.map(
          (entry, row) => `${row + 1},${entry.label},"${entry.text.replaceAll('"', '""')}",${entry.x}`,
        )
        const jsonLines = records.map((entry, row) => JSON.stringify({ id: row + 1, ...entry }))
        await writeFile(temporary('table.csv'), `id,label,text,x\n${csvLines.join('\n')}\n`)
        await writeFile(temporary('table.jsonl'), `${jsonLines.join('\n')}\n`)
        for (const file of ['table.csv', 'table.jsonl']) {
          const dataset = await loadDataset(temporary(file))
          expect(dataset.texts).toEqual(records.map((entry) => entry.text))
          expect(dataset.labels?.codes.map((code) => 'abc'.indexOf(dataset.labels!.classes[code]))).toEqual(
            Int32Array.from(records, (entry) => 'abc'.indexOf(entry.label)),
          )
          expect(Array.from(dataset.features!.data)).toEqual(records.map((entry) => entry.x + 0))
        }
      }),
      { numRuns: 100, seed: 6 },
    )
  })
})
