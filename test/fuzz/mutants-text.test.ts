import { describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../fixtures/files.js'
import { loadMutants } from './mutate.js'
import { SAMPLE_CSV, SAMPLE_JSONL } from './sample-files.js'

const temporary = useTemporaryFolder()

describe('byte-mutated text files load or are refused with a PoisonguardError', () => {
  it('CSV', async () => {
    const outcomes = await loadMutants(Buffer.from(SAMPLE_CSV), temporary('mutant.csv'), 1)
    // Both outcomes occur, so the corpus exercises the readers' happy and error paths alike.
    expect(outcomes.loaded).toBeGreaterThan(0)
    expect(outcomes.refused).toBeGreaterThan(0)
  })

  it('JSON Lines', async () => {
    const outcomes = await loadMutants(Buffer.from(SAMPLE_JSONL), temporary('mutant.jsonl'), 2)
    expect(outcomes.loaded).toBeGreaterThan(0)
    expect(outcomes.refused).toBeGreaterThan(0)
  })
})
