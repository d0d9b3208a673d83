import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { canonicalId } from '../src/data/canonical-text.js'
import { loadDataset } from '../src/io/index.js'
import { digestDataset } from '../src/provenance/dataset-digest.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-ids-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function csvWithIds(name: string, ids: string[]): string {
  const path = join(dir, name)
  writeFileSync(path, `id,x\n${ids.map((id, row) => `${id},${row}`).join('\n')}\n`)
  return path
}

/** Whether loading for a scan and digesting for a manifest each refuse the file's ids as duplicates. */
async function refusedAsDuplicates(path: string): Promise<[boolean, boolean]> {
  const code = (error: unknown) => (error as { code?: string }).code === 'DUPLICATE_ID'
  const scan = await loadDataset(path).then(() => false, code)
  const manifest = await digestDataset(path, { uniqueIds: true }).then(() => false, code)
  return [scan, manifest]
}

describe('one id rule for scan and manifest', () => {
  it('treats numerals that are the same number as the same id, everywhere', async () => {
    expect(await refusedAsDuplicates(csvWithIds('same.csv', ['7', '8', '7.0']))).toEqual([true, true])
    expect(await refusedAsDuplicates(csvWithIds('exp.csv', ['100', '1e2']))).toEqual([true, true])
  })

  it('keeps text that is not a JSON number as written, everywhere', async () => {
    expect(await refusedAsDuplicates(csvWithIds('text.csv', ['7', '07', '+7', '7.5']))).toEqual([
      false,
      false,
    ])
  })

  it('names both spellings of a repeated id', async () => {
    const error = await loadDataset(csvWithIds('named.csv', ['7', '7.0'])).catch((caught: unknown) => caught)
    expect((error as Error).message).toMatch(/ids "7" and "7\.0" are the same number, on rows 1 and 2/)
    expect(canonicalId('-0')).toBe('0')
  })
})
