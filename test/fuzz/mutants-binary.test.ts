import { beforeAll, describe, expect, it } from 'vitest'
import { parseNpy } from '../../src/io/npy.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { loadedOrRefused, loadMutants, MUTANTS_PER_FORMAT, mutations } from './mutate.js'
import { sampleNpy, sampleParquet } from './sample-files.js'

const temporary = useTemporaryFolder()

describe('byte-mutated binary files load or are refused with a PoisonguardError', () => {
  let parquet: Buffer

  beforeAll(async () => {
    parquet = await sampleParquet(temporary)
  })

  it('Parquet', async () => {
    const outcomes = await loadMutants(parquet, temporary('mutant.parquet'), 3)
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
