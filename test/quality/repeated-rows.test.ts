import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { subsetDataset } from '../../src/data/dataset.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { createRng } from '../../src/util/rng.js'
import { prepareAsScan, scanPrepared } from '../fixtures/detectors.js'
import { poisonMask, rankingOf } from '../fixtures/poison.js'
import { inkProfiles, zooDataset } from '../fixtures/zoo.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

/** `dataset` with a random `share` of its records written a second time at the end, under ids of their own. */
function withRepeats(dataset: Dataset, share: number, seed: number): Dataset {
  const rng = createRng(seed)
  const repeated = Int32Array.from({ length: dataset.rowCount }, (_, row) => row).filter(
    () => rng.next() < share,
  )
  const rows = Int32Array.from([...Array.from({ length: dataset.rowCount }, (_, row) => row), ...repeated])
  const written = subsetDataset(dataset, rows)
  return {
    ...written,
    ids: written.ids.map((id, row) => (row < dataset.rowCount ? id : `${id}-again`)),
  }
}

/*
 * A file appended to itself in part (a join done twice) holds each repeated record twice. A repeat is one draw of
 * the data: tests that read ordered scores or counts as independent draws must not find the originals standing
 * apart (scikit-learn's breast cancer table with 170 of its rows repeated was "poisoned" by availability noise of
 * 183 records before `outliers` counted each repeat once).
 */
describe.each([
  ['the ink profiles', () => inkProfiles()],
  ['the 8×8 digits', () => zooDataset('digits-8')],
  ['iris', () => zooDataset('iris')],
  ['the mail table', () => zooDataset('mail-table')],
])('%s with 30%% of the records written twice', (_, build) => {
  it('are clean', async () => {
    const { report } = await scanPrepared(await prepareAsScan(withRepeats(build(), 0.3, 1), backend))
    expect(report.summary.verdict!.verdict).toBe('clean')
  })
})

/* The same records written twice with a tenth of noise records added: the noise alone is named. */
describe('the ink profiles with 30% of the records written twice and a tenth of noise records', () => {
  it('name availability noise of about as many records as were added', async () => {
    const run = applyAttack(
      'availability',
      withRepeats(inkProfiles(), 0.3, 1),
      { rate: 0.1, mode: 'noise' },
      1,
    )
    const { report } = await scanPrepared(await prepareAsScan(run.dataset, backend))
    expect(rankingOf(report, poisonMask(run.dataset.rowCount, run.poisonedRows))).toBeGreaterThanOrEqual(0.95)
    const [attack] = report.summary.verdict!.attacks
    expect(attack.description).toMatch(/^availability noise: \d+ records far off/)
    expect(attack.records).toBeGreaterThanOrEqual(0.8 * run.poisonedRows.length)
    expect(attack.records).toBeLessThanOrEqual(1.25 * run.poisonedRows.length)
  })
})
