import { writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { loadDataset } from '../../src/io/index.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { loadedOrRefused, mutations } from './mutate.js'
import { SAMPLE_CSV, SAMPLE_JSONL } from './sample-files.js'

const temporary = useTemporaryFolder()
const MUTANTS_PER_FORMAT = 1000

/** Loads every mutant of `valid` from one path; each must load or be refused with a PoisonguardError. */
async function loadMutants(valid: Buffer, extension: string, seed: number) {
  const path = temporary(`mutant.${extension}`)
  const outcomes = { loaded: 0, refused: 0 }
  let index = 0
  for (const mutant of mutations(valid, MUTANTS_PER_FORMAT, seed)) {
    await writeFile(path, mutant)
    outcomes[await loadedOrRefused(() => loadDataset(path), `${extension} mutant ${index++}`)]++
  }
  return outcomes
}

describe('byte-mutated text files load or are refused with a PoisonguardError', () => {
  it('CSV', async () => {
    const outcomes = await loadMutants(Buffer.from(SAMPLE_CSV), 'csv', 1)
    // Both outcomes occur, so the corpus exercises the readers' happy and error paths alike.
    expect(outcomes.loaded).toBeGreaterThan(0)
    expect(outcomes.refused).toBeGreaterThan(0)
  })

  it('JSON Lines', async () => {
    const outcomes = await loadMutants(Buffer.from(SAMPLE_JSONL), 'jsonl', 2)
    expect(outcomes.loaded).toBeGreaterThan(0)
    expect(outcomes.refused).toBeGreaterThan(0)
  })
})
