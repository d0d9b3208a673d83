import { readFile, writeFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadDataset } from '../../src/io/index.js'
import { parseNpy } from '../../src/io/npy.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { loadedOrRefused, mutations } from './mutate.js'
import { sampleNpy, sampleParquet } from './sample-files.js'

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

describe('byte-mutated binary files load or are refused with a PoisonguardError', () => {
  let parquet: Buffer

  beforeAll(async () => {
    await sampleParquet(temporary('sample.csv'), temporary('sample.parquet'))
    parquet = await readFile(temporary('sample.parquet'))
  })

  it('Parquet', async () => {
    const outcomes = await loadMutants(parquet, 'parquet', 3)
    expect(outcomes.loaded).toBeGreaterThan(0)
    expect(outcomes.refused).toBeGreaterThan(0)
  })

  it('.npy', async () => {
    const outcomes = { loaded: 0, refused: 0 }
    let index = 0
    for (const mutant of mutations(sampleNpy(5, 3), MUTANTS_PER_FORMAT, 4))
      outcomes[await loadedOrRefused(() => parseNpy(mutant, 'mutant.npy'), `npy mutant ${index++}`)]++
    expect(outcomes.loaded).toBeGreaterThan(0)
    expect(outcomes.refused).toBeGreaterThan(0)
  })
})
