import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { triggerMiningDetector } from '../../src/detectors/trigger-mining/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { type PreparedScan, prepareAsScan, runDetectorOn, scanPrepared } from '../fixtures/detectors.js'
import { poisonMask, rankingOf } from '../fixtures/poison.js'
import { inkProfiles, zooDataset } from '../fixtures/zoo.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

/*
 * Noise records with random labels added in bulk to a table of correlated measurements (the ink profiles of 3,000
 * digits): a tenth or a fifth of the data is as many as a tail fitted at the 90th percentile swallows, and each
 * column of a noise record stays within the range of honest ones, so only the combinations of columns give it away.
 */
/*
 * Noise that wrote fractions into the quadrant flags (0.37 of a quadrant), or rounded each flag on its own (two
 * quadrants of most ink), was found by what no honest record can hold; every honest profile names one quadrant.
 */
it('writes each noise record of the ink profiles with one quadrant of most ink', () => {
  const profiles = inkProfiles()
  const quadrants = profiles.featureNames.flatMap((name, col) => (name.startsWith('most_') ? [col] : []))
  const run = applyAttack('availability', profiles, { rate: 0.1, mode: 'noise' }, 1)
  const { data, cols } = run.dataset.features!
  const held = Array.from(run.poisonedRows, (row) => quadrants.map((col) => data[row * cols + col]).join(' '))
  expect(quadrants).toHaveLength(4)
  expect(new Set(held)).toEqual(new Set(['1 0 0 0', '0 1 0 0', '0 0 1 0', '0 0 0 1']))
})

/**
 * The default scan of `dataset` with noise records added at `rate` (seed 1): the noise ranked first (AP ≥ 0.95) and
 * named as availability noise by the outliers alone, as `description` says, covering at least 80% of it.
 */
async function expectNoiseNamed(dataset: Dataset, rate: number, description: RegExp) {
  const run = applyAttack('availability', dataset, { rate, mode: 'noise' }, 1)
  const { report } = await scanPrepared(await prepareAsScan(run.dataset, backend))
  expect(rankingOf(report, poisonMask(run.dataset.rowCount, run.poisonedRows))).toBeGreaterThanOrEqual(0.95)
  const verdict = report.summary.verdict!
  expect(verdict.verdict).toBe('poisoned')
  expect(verdict.attacks.map(({ detector, kind }) => ({ detector, kind }))).toEqual([
    { detector: 'outliers', kind: 'outlier' },
  ])
  expect(verdict.attacks[0].description).toMatch(description)
  expect(verdict.attacks[0].records).toBeGreaterThanOrEqual(0.8 * run.poisonedRows.length)
}

describe.each([0.1, 0.2])('the ink profiles of 3,000 digits with %s noise records added', (rate) => {
  it('rank the noise records first and are called poisoned by availability noise, not a backdoor', async () => {
    await expectNoiseNamed(inkProfiles(), rate, /^availability noise: \d+ records far off/)
  })
})

/** The 8×8 digits with noise records added, a tenth as many as they hold. */
const noisyDigits = (seed: number) =>
  applyAttack('availability', zooDataset('digits-8'), { rate: 0.1, mode: 'noise' }, seed)

/**
 * Noise on a tenth of the 8×8 digits (seed 2) in one default scan, for the outliers' bars, trigger-mining's and the
 * fused scan's: a detector's result within the scan is the one it gives alone.
 */
let digitNoiseScan: Promise<{ run: ReturnType<typeof applyAttack>; scan: PreparedScan }> | undefined
function scannedDigitNoise() {
  digitNoiseScan ??= (async () => {
    const run = noisyDigits(2)
    return { run, scan: await scanPrepared(await prepareAsScan(run.dataset, backend)) }
  })()
  return digitNoiseScan
}

/*
 * About 180 digits a class of 8×8 pixels: too few for a covariance of each class's 40-odd lit pixels, plenty for
 * one pooled over the ten classes. Without it the outliers ranked the noise at 0.74 (seed 2) and named no attack.
 */
describe('the 8×8 digits with a tenth of noise records added', () => {
  it('are ranked first by the outliers and named as availability noise', async () => {
    const { run, scan } = await scannedDigitNoise()
    const result = scan.result('outliers')
    const positives = poisonMask(run.dataset.rowCount, run.poisonedRows)
    expect(averagePrecision(result.suspicion, positives)).toBeGreaterThanOrEqual(0.9)
    expect(result.attacks?.map(({ description }) => description)).toEqual([
      expect.stringMatching(/^availability noise: \d+ records far off/),
    ])
    expect(result.attacks![0].records).toBeGreaterThanOrEqual(0.8 * run.poisonedRows.length)
  })
})

/*
 * The boldest straight ones of the 8×8 digits carry a 2×2 window of 16 that few other digits do, and they are each
 * other's nearest neighbours. Their content was then judged by the label shares (a tenth of the records are ones)
 * rather than by the ones around them, so the stroke looked like a trigger planted on relabelled records (71 of 136
 * carriers labelled 1 against 24.5 expected). A clean scan passed it over only because its carriers' content agreed
 * with their labels and the cheap screen never kept it; noise records with random labels carry the window too and
 * brought it in: "a 2×6 patch of value 16" on 70–72 ones, and a fused AP of 0.54–0.74.
 */
describe('the 8×8 digits with a tenth of noise records added, and the strokes of their ones', () => {
  it.each([1, 2, 3])('show trigger-mining no trigger (seed %i)', async (seed) => {
    const result =
      seed === 2
        ? (await scannedDigitNoise()).scan.result('trigger-mining')
        : await runDetectorOn(triggerMiningDetector, await prepareAsScan(noisyDigits(seed).dataset, backend))
    expect(result.info.triggers).toEqual([])
  })

  it('are ranked by the fused scan with AP ≥ 0.95 and called availability noise alone', async () => {
    const { run, scan } = await scannedDigitNoise()
    const { report } = scan
    expect(rankingOf(report, poisonMask(run.dataset.rowCount, run.poisonedRows))).toBeGreaterThanOrEqual(0.95)
    expect(report.summary.verdict!.attacks.map(({ detector }) => detector)).toEqual(['outliers'])
  })
})

/*
 * Word salad added to the mails: each noise text is drawn from the corpus's own words with a random label, so no
 * word gives it away, only its word order. Its records sit together in the geometry of their words (every
 * mixture of the corpus lies near every other), so their mode says nothing and their labels, random against their
 * content, say it is noise. Before, the outliers flagged them all and the verdict named nothing.
 */
describe('SpamAssassin with 5% word-salad records added', () => {
  it('ranks them first and is called poisoned by availability noise', async () => {
    await expectNoiseNamed(zooDataset('spam'), 0.05, /^availability noise: \d+ texts whose word pairs/)
  })
})
