import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { prepareAsScan, scanPrepared } from '../fixtures/detectors.js'
import { rareGaussians } from '../fixtures/rare-gaussians.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

/*
 * A tenth of noise records with random labels on a 1:50 table built as scikit-learn's `make_classification` builds
 * one: the robust distance ranks the noise, but it overlaps the tail of the clean records and almost none of it is
 * flagged, so the verdict called the table clean. The group of highest robust distances that stands apart from the
 * rest of the tail is the dataset-level evidence.
 */
describe('a 1:50 Gaussian table with a tenth of noise records added', () => {
  it.each([1, 2, 3])('is called poisoned by availability noise (seed %i)', async (seed) => {
    const run = applyAttack('availability', rareGaussians(), { rate: 0.1, mode: 'noise' }, seed)
    const { report } = await scanPrepared(await prepareAsScan(run.dataset, backend))
    const verdict = report.summary.verdict!
    expect(verdict.verdict).toBe('poisoned')
    const noise = verdict.attacks.find((attack) => attack.description.startsWith('availability noise'))
    expect(noise).toMatchObject({ detector: 'outliers', kind: 'outlier' })
    expect(noise!.pValue).toBeLessThan(0.01)
    // The count estimates the noise: most of it, and not the clean records' tail as well.
    expect(noise!.records).toBeGreaterThanOrEqual(0.5 * run.poisonedRows.length)
    expect(noise!.records).toBeLessThanOrEqual(1.5 * run.poisonedRows.length)
  })
})

describe('a clean 1:50 Gaussian table', () => {
  it('names no attack', async () => {
    const { report } = await scanPrepared(await prepareAsScan(rareGaussians(), backend))
    expect(report.summary.verdict!.attacks).toEqual([])
  })
})
