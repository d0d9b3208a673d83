import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import {
  type PreparedScan,
  prepareAsScan,
  prepareOnce,
  prepareRelabelled,
  scanPrepared,
} from '../fixtures/detectors.js'
import { flaggedCleanShare, flipLabels, poisonMask, rankingOf } from '../fixtures/poison.js'
import { rgbPatch, type UnseenName, unseenDataset } from '../fixtures/unseen.js'

/*
 * The default scan on data shapes the zoo (zoo.test.ts) does not cover, each derived from MNIST (docs/zoo.md,
 * "Shapes beyond the zoo, measured"). Where a bar sits below the zoo's, the level is today's and the reason is
 * written beside it.
 */

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

interface Bars {
  /** Flagged share of the clean data. */
  readonly clean: number
  /** The clean data's verdict. */
  readonly verdict: 'clean' | 'suspicious'
  /** Average precision of 10% random flips (seed 1); left out where its scan is the costliest and its level low. */
  readonly flips?: number
  /** Average precision of a 3×3 patch on 3% of the images relabelled as the first class; images only. */
  readonly patch?: number
}

const bars: Record<UnseenName, Bars> = {
  // Tinted RGB digits exported as 3,072 columns r_y_x/g_y_x/b_y_x: a colour image, read through each image's colour
  // contrast (flips at 0.93; as a table 0.64, and 4% of the clean records flagged until label-issues' chances were
  // read at the noise the data's own null admits); the white patch is named as a patch of its colour.
  'rgb-32': { clean: 0.01, verdict: 'clean', flips: 0.9, patch: 0.95 },
  // A pixel sum that is 0 in some sevens made this table 'poisoned' (a value trigger) until table values were read
  // with their columns hidden; the tinted RGB table held two such natural triggers.
  // Its flips rank at 0.958–0.965 by the linear model, 0.963–0.971 (seeds 1–3) since a linear model on Gaussian
  // kernel features makes its labels likelier.
  'wide-table': { clean: 0.01, verdict: 'clean', flips: 0.96 },
  // Thirty records a class: label-issues' model and neighbours cannot learn a hundred pairs from so few, and
  // confident learning counted a quarter of the clean labels as noise (3.5% flagged); the noise the chances are
  // read at is the data's own (noise-rate.ts), which finds none here.
  'digit-pairs': { clean: 0.01, verdict: 'clean', flips: 0.9, patch: 0.95 },
  // Flips at 1:50 mostly turn common records into the rare class, whose labels are then mostly wrong: ranked by
  // confident learning's shortfall below that class's threshold alone they stood at 0.745 (0.97 beside each
  // record's chance of a wrong label).
  'rare-table': { clean: 0.01, verdict: 'clean', flips: 0.95 },
  // Standardised pixels blew rarely-lit border pixels up into noise for the model and the neighbours (flips at
  // 0.906) until pixels of one spread each were put back on one scale: 0.948, where the same digits in grey levels
  // rank at 0.950; 0.954–0.966 (seeds 1–3) since a linear model on Gaussian kernel features replaced the linear
  // one (0.948–0.954). The patch's carriers rank above the label doubts (fused at 1.0, 0.89 before they did).
  'standardized-14': { clean: 0.01, verdict: 'clean', flips: 0.95, patch: 0.95 },
  // The same 1,000 digits in [0,1] rank their flips alike (0.926): the bar is set by so few records of 784 pixels
  // for label-issues' linear model, not by the range. A linear model on Gaussian kernel features lifts them to
  // 0.924–0.941 (seeds 1–3; 0.908–0.927 before), and ranking by the views' fitted product to 0.943–0.951, where
  // scikit-learn's RBF SVC with cleanlab's self-confidence reaches 0.940–0.958.
  'signed-28': { clean: 0.01, verdict: 'clean', flips: 0.94, patch: 0.95 },
}

const names = Object.keys(bars) as UnseenName[]

/** The patch backdoor of each shape: `backdoor-patch` on images, its three-channel copy on the RGB table. */
function plantPatch(name: UnseenName, dataset: Dataset) {
  if (name === 'rgb-32') return rgbPatch(dataset)
  return applyAttack('backdoor-patch', dataset, { rate: 0.03, target: dataset.labels!.classes[0] }, 1)
}

describe.each(names)('the default scan of %s', (name) => {
  let dataset: Dataset
  let clean: PreparedScan
  beforeAll(async () => {
    dataset = unseenDataset(name)
    clean = await scanPrepared(await prepareOnce(dataset, backend))
  })

  it(`flags at most ${(100 * bars[name].clean).toFixed(1)}% of the clean data, every detector runs, verdict ${bars[name].verdict}`, () => {
    const { report } = clean
    expect(report.detectors.every((detector) => detector.status !== 'failed')).toBe(true)
    expect(report.summary.flagged / dataset.rowCount).toBeLessThanOrEqual(bars[name].clean)
    expect(report.summary.verdict?.verdict).toBe(bars[name].verdict)
    expect(report.summary.verdict?.attacks).toEqual([])
    // A detector's count is the records the scan flagged on its evidence, so no line of the report says the
    // neighbour vote flags hundreds of clean records (half of 100 small classes) that the scan does not.
    for (const detector of report.detectors) {
      const backed = report.records.filter(
        (record) => record.flagged && record.findings.some((finding) => finding.detector === detector.id),
      )
      expect(detector.flagged, detector.id).toBe(backed.length)
    }
  })

  it.skipIf(bars[name].flips === undefined)(
    `ranks 10% random flips with average precision ≥ ${bars[name].flips}, no attack called`,
    async () => {
      const planted = flipLabels(dataset, 0.1, 1)
      const { report } = await scanPrepared(await prepareRelabelled(planted.dataset, dataset, backend))
      expect(rankingOf(report, planted.flipped)).toBeGreaterThanOrEqual(bars[name].flips!)
      expect(flaggedCleanShare(report, planted.flipped)).toBeLessThanOrEqual(bars[name].clean + 0.01)
      expect(report.summary.verdict?.attacks).toEqual([])
    },
  )

  it.skipIf(bars[name].patch === undefined)(
    `ranks a 3×3 patch on 3% of the images with average precision ≥ ${bars[name].patch}`,
    async () => {
      const run = plantPatch(name, dataset)
      const { report } = await scanPrepared(await prepareAsScan(run.dataset, backend))
      expect(rankingOf(report, poisonMask(dataset.rowCount, run.poisonedRows))).toBeGreaterThanOrEqual(
        bars[name].patch!,
      )
      const trigger = report.summary.verdict?.attacks.find((attack) => attack.kind === 'trigger')
      expect(trigger?.label).toBe(dataset.labels!.classes[0])
      if (name === 'rgb-32')
        expect(trigger?.description).toMatch(/^a 3×3 patch of colour \(255, 255, 255\) at x 28–30, y 28–30/)
    },
  )
})
