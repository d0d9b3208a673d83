import { readFile, writeFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { createManifest } from '../../src/provenance/index.js'
import { verifyDatasetAgainstManifest } from '../../src/provenance/verify.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { loadedOrRefused, mutations } from './mutate.js'
import { SAMPLE_CSV } from './sample-files.js'

const temporary = useTemporaryFolder()
const MUTANTS = 150

describe('the manifest verifier on damaged manifests and datasets', () => {
  let manifestPath: string
  let manifest: Buffer

  beforeAll(async () => {
    await writeFile(temporary('data.csv'), SAMPLE_CSV)
    manifestPath = (await createManifest(temporary('data.csv'), { out: temporary('data.manifest.json') }))
      .manifestPath
    manifest = await readFile(manifestPath)
  })

  it('reports a failure or refuses with a PoisonguardError, never crashes', async () => {
    let failed = 0
    let index = 0
    for (const mutant of mutations(manifest, MUTANTS, 21)) {
      await writeFile(manifestPath, mutant)
      await loadedOrRefused(async () => {
        const result = await verifyDatasetAgainstManifest(temporary('data.csv'), manifestPath)
        if (result.failures.length > 0) failed++
      }, `manifest mutant ${index++}`)
    }
    await writeFile(manifestPath, manifest)
    for (const mutant of mutations(Buffer.from(SAMPLE_CSV), MUTANTS, 22)) {
      await writeFile(temporary('mutant.csv'), mutant)
      await loadedOrRefused(async () => {
        const result = await verifyDatasetAgainstManifest(temporary('mutant.csv'), manifestPath)
        if (result.failures.length > 0) failed++
      }, `dataset mutant ${index++}`)
    }
    expect(failed).toBeGreaterThan(MUTANTS)
  })
})
