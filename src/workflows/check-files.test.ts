import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../../test/fixtures/files.js'
import { checkBatch } from '../drift/check.js'
import { sharedColumnSummaries, summarizeColumns } from '../drift/columns.js'
import { loadDataset } from '../io/load.js'
import { startReferenceWorker } from '../parallel/mmd-runner.js'
import { createRng } from '../util/rng.js'
import { checkFiles } from './check-files.js'

const workerUrl = new URL('../../test/fixtures/mmd-worker.mjs', import.meta.url)
const path = useTemporaryFolder()

/** id, label, source and four features; `shift` moves x in the rows of source "b". */
function writeCsv(name: string, rows: number, seed: number, shift: number): string {
  const rng = createRng(seed)
  const lines = ['id,label,source,x,y,z,n']
  for (let row = 0; row < rows; row++) {
    const source = row % 3 === 0 ? 'b' : 'a'
    const x = rng.normal() + (source === 'b' ? shift : 0)
    const cells = [`${name}-${row}`, rng.next() < 0.4 ? 'yes' : 'no', source, x, rng.next() * 10]
    lines.push([...cells, rng.normal(), rng.int(4)].join(','))
  }
  const file = path(`${name}.csv`)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

describe('checkFiles', () => {
  const reference = writeCsv('reference', 1500, 1, 0)
  const createdAt = new Date(0)

  it('gives the report of checkBatch on the loaded files, with the reference read and the MMD run on a worker', async () => {
    for (const [batch, shift] of [
      [writeCsv('same', 900, 2, 0), 0],
      [writeCsv('shifted', 900, 3, 0.6), 0.6],
    ] as const) {
      const expected = checkBatch(await loadDataset(reference), await loadDataset(batch), { createdAt })
      const report = await checkFiles(batch, reference, { createdAt, workerUrl, threads: 2 })
      expect(report).toEqual(expected)
      const mmd = report.tests.find((test) => test.id === 'features:mmd')!
      expect(mmd.pValue < 0.01).toBe(shift > 0)
    }
  })

  it('reads the reference on the worker as this thread would', async () => {
    const worker = startReferenceWorker(reference, { id: 'id' }, { workerUrl, threads: 2 })
    expect(worker).toBeDefined()
    const read = await worker!.reference
    worker!.close()
    expect(read?.dataset).toEqual(await loadDataset(reference, { id: 'id' }))
  })

  it("sorts the reference's columns on the worker and this thread together as this thread alone would", async () => {
    const worker = startReferenceWorker(reference, {}, { workerUrl, threads: 2, sortColumns: {} })
    const read = await worker!.reference
    expect(read?.sort).toBeDefined()
    const summaries = sharedColumnSummaries(read!.dataset.features!, read!.sort!)
    worker!.close()
    expect(summaries).toEqual(summarizeColumns((await loadDataset(reference)).features!))
  })

  it('reads everything on this thread with one thread, and when the worker cannot start', async () => {
    const batch = writeCsv('one-thread', 600, 4, 0.3)
    const expected = checkBatch(await loadDataset(reference), await loadDataset(batch), { createdAt })
    expect(await checkFiles(batch, reference, { createdAt, workerUrl, threads: 1 })).toEqual(expected)
    const missingWorker = new URL('./missing-mmd-worker.mjs', workerUrl)
    expect(await checkFiles(batch, reference, { createdAt, workerUrl: missingWorker })).toEqual(expected)
  })

  it("raises the reference's loader error first, then the batch's", async () => {
    const batch = writeCsv('good-batch', 300, 5, 0)
    const empty = path('empty.csv')
    writeFileSync(empty, '')
    const options = { workerUrl, threads: 2 }
    await expect(checkFiles(path('absent.csv'), empty, options)).rejects.toMatchObject({ code: 'EMPTY_FILE' })
    await expect(checkFiles(empty, reference, options)).rejects.toMatchObject({ code: 'EMPTY_FILE' })
    await expect(checkFiles(batch, path('absent.csv'), options)).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    })
  })
})
