import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { binarisedDigits } from '../fixtures/binarised-digits.js'
import { prepareAsScan, scanPrepared } from '../fixtures/detectors.js'
import { flipLabels, poisonMask, rankingOf } from '../fixtures/poison.js'
import { withRepeats } from '../fixtures/repeats.js'
import { inkProfiles, zooDataset } from '../fixtures/zoo.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

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
    const { report } = await scanPrepared(await prepareAsScan(withRepeats(build(), 0.3, 1).dataset, backend))
    expect(report.summary.verdict!.verdict).toBe('clean')
  })
})

/* The same records written twice with a tenth of noise records added: the noise alone is named. */
describe('the ink profiles with 30% of the records written twice and a tenth of noise records', () => {
  it('name availability noise of about as many records as were added', async () => {
    const run = applyAttack(
      'availability',
      withRepeats(inkProfiles(), 0.3, 1).dataset,
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

/*
 * Counted as records of their own, the repeats of one record made a trigger or a group: half of the heavy-tailed
 * ink profiles written twice gave "the value most_topLeft = 1 on 42 rows labelled 5", one 8×8 digit written five
 * times "a 3×3 pattern … on 5 images labelled 5", and a binarised digit written three times "a separate group of
 * 3 records inside class 4".
 */
describe.each([
  [
    'half of the heavy-tailed ink profiles written twice',
    () => withRepeats(inkProfiles({ heavyTails: true }), 0.5, 1),
  ],
  [
    'the 8×8 digits with 30% of them written 2–5 times',
    () => withRepeats(zooDataset('digits-8'), 0.3, 1, { upToFive: true }),
  ],
  [
    'the binarised 8×8 digits with 30% of them written 2–5 times',
    () => withRepeats(binarisedDigits(), 0.3, 1, { upToFive: true }),
  ],
])('%s', (_, build) => {
  it('are clean, with at most 1% of the records flagged', async () => {
    const { report } = await scanPrepared(await prepareAsScan(build().dataset, backend))
    expect(report.summary.verdict!.attacks).toEqual([])
    expect(report.summary.verdict!.verdict).toBe('clean')
    expect(report.summary.flagged).toBeLessThanOrEqual(0.01 * report.records.length)
  })
})

/* Poison written again with the rest is found as well as without repeats; its copies are ranked with it. */
describe('the 8×8 digits poisoned, then 30% of the records written 2–5 times', () => {
  it('name a 3% patch trigger by the records carrying it, copies ranked with them', async () => {
    const digits = zooDataset('digits-8')
    const run = applyAttack('backdoor-patch', digits, { rate: 0.03, target: digits.labels!.classes[0] }, 1)
    const poisoned = poisonMask(digits.rowCount, run.poisonedRows)
    const repeated = withRepeats(run.dataset, 0.3, 1, { upToFive: true, poisoned })
    const { report } = await scanPrepared(await prepareAsScan(repeated.dataset, backend), ['trigger-mining'])
    expect(rankingOf(report, repeated.poisoned)).toBeGreaterThanOrEqual(0.95)
    const [trigger] = report.summary.verdict!.attacks
    expect(trigger.description).toMatch(new RegExp(`patch .* on ${run.poisonedRows.length} images labelled`))
  })

  it('call 10% random flips label noise, not an attack', async () => {
    // Counted as records of their own, repeats made three 3×3 patterns of 5 images each "triggers" here.
    const flips = flipLabels(zooDataset('digits-8'), 0.1, 1)
    const repeated = withRepeats(flips.dataset, 0.3, 1, { upToFive: true })
    const { report } = await scanPrepared(await prepareAsScan(repeated.dataset, backend))
    expect(report.summary.verdict!.attacks).toEqual([])
    expect(report.summary.verdict!.verdict).toBe('suspicious')
  })
})
