import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { npy } from '../../test/fixtures/npy.js'
import { PoisonguardError } from '../errors.js'
import { loadDataset } from './index.js'
import { parseNpy } from './npy.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-npy-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function thrown(run: () => unknown): PoisonguardError {
  try {
    run()
  } catch (error) {
    if (error instanceof PoisonguardError) return error
    throw error
  }
  throw new Error('expected a PoisonguardError')
}

describe('.npy embeddings', () => {
  it('parses float32 and converts float64, for header versions 1 and 2', () => {
    const values = Float32Array.of(1, 2, 3, 4, 5, 6)
    expect(parseNpy(npy('<f4', [3, 2], values), 'e.npy')).toEqual({ data: values, rows: 3, cols: 2 })
    const wide = parseNpy(npy('<f8', [2, 3], Float64Array.of(1, 2, 3, 4, 5, 0.1), { major: 2 }), 'e.npy')
    expect(wide).toEqual({ data: Float32Array.of(1, 2, 3, 4, 5, 0.1), rows: 2, cols: 3 })
  })

  it('rejects other dtypes, Fortran order, non-2-D shapes, truncated data and NaN', () => {
    const cases: [Buffer, string, RegExp][] = [
      [npy('<i8', [1, 1], BigInt64Array.of(1n)), 'INVALID_VALUE', /dtype <i8 is not supported/],
      [npy('<f4', [1, 2], Float32Array.of(1, 2), { fortran: true }), 'INVALID_VALUE', /Fortran/],
      [npy('<f4', [2], Float32Array.of(1, 2)), 'SHAPE_MISMATCH', /expected a 2-D array .* shape \(2\)/],
      [npy('<f4', [2, 2], Float32Array.of(1, 2, 3)), 'PARSE_ERROR', /needs 16 data bytes, the file has 12/],
      [npy('<f4', [2, 1], Float32Array.of(1, Number.NaN)), 'INVALID_VALUE', /row 2: embedding value NaN/],
      [Buffer.from('not numpy at all'), 'PARSE_ERROR', /not a NumPy .npy file/],
    ]
    for (const [bytes, code, message] of cases) {
      const error = thrown(() => parseNpy(bytes, 'e.npy'))
      expect(error.code).toBe(code)
      expect(error.message).toMatch(message)
      expect(error.hint).toMatch(/np\.save|NaN/)
    }
  })

  it('attaches embeddings aligned with the rows, and rejects a row-count mismatch', async () => {
    const csv = join(dir, 'data.csv')
    writeFileSync(csv, 'id,x\na,1\nb,2\nc,3\n')
    const good = join(dir, 'good.npy')
    writeFileSync(good, npy('<f4', [3, 2], Float32Array.of(1, 1, 2, 2, 3, 3)))
    const dataset = await loadDataset(csv, { embeddings: good })
    expect(dataset.embeddings).toEqual({ data: Float32Array.of(1, 1, 2, 2, 3, 3), rows: 3, cols: 2 })
    const bad = join(dir, 'bad.npy')
    writeFileSync(bad, npy('<f4', [2, 2], Float32Array.of(1, 1, 2, 2)))
    const error = await loadDataset(csv, { embeddings: bad }).catch((caught: unknown) => caught)
    expect((error as PoisonguardError).code).toBe('SHAPE_MISMATCH')
    expect((error as PoisonguardError).message).toMatch(
      /bad\.npy: the embeddings have 2 rows but the dataset has 3 records/,
    )
    const missing = await loadDataset(csv, { embeddings: join(dir, 'nope.npy') }).catch(
      (caught: unknown) => caught,
    )
    expect((missing as PoisonguardError).code).toBe('FILE_NOT_FOUND')
  })
})
