import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import { type Dataset, encodeLabels } from '../../src/data/dataset.js'
import { outliersDetector } from '../../src/detectors/outliers/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { createRng } from '../../src/util/rng.js'
import { prepareAsScan, runDetectorAlone, scanPrepared } from '../fixtures/detectors.js'
import { flaggedCleanShare, poisonMask, rankingOf } from '../fixtures/poison.js'
import { unseenDataset } from '../fixtures/unseen.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

/*
 * Noise records with random labels on a 1:50 table (2,500 digits against 50 sevens): half the noise lands in the
 * rare class, which is then mostly noise. The model learns noise as the rare class, the noise labelled with the
 * common class then looks like the rare one, and targeted-flip called most of the common class relabelled: 28–29%
 * of the clean records flagged and the noise ranked at 0.46–0.49 (seeds 1–3); 0% and 0.70–0.74 now.
 */
describe.each([1, 2, 3])('a 1:50 table with a tenth of noise records added (seed %i)', (seed) => {
  it('keeps its clean records, ranks the noise above them and names no relabelling', async () => {
    const run = applyAttack('availability', unseenDataset('rare-table'), { rate: 0.1, mode: 'noise' }, seed)
    const { report } = await scanPrepared(await prepareAsScan(run.dataset, backend))
    const poisoned = poisonMask(run.dataset.rowCount, run.poisonedRows)
    expect(flaggedCleanShare(report, poisoned)).toBeLessThanOrEqual(0.01)
    expect(rankingOf(report, poisoned)).toBeGreaterThanOrEqual(0.6)
    expect(report.summary.verdict!.attacks.filter((attack) => attack.kind === 'label_issue')).toEqual([])
  })
})

/**
 * 3,000 records against 60 over 20 columns, as scikit-learn's `make_classification` builds them: 8 informative
 * columns, each class a Gaussian at a corner of a hypercube (±1.5) with a covariance of its own, 4 linear
 * combinations of them and 8 columns of pure noise.
 */
function rareGaussians(): Dataset {
  const rng = createRng(7)
  const informative = 8
  const combined = 4
  const cols = 20
  const sizes = [3000, 60]
  const means = sizes.map(() => Array.from({ length: informative }, () => (rng.next() < 0.5 ? -1.5 : 1.5)))
  const mixes = sizes.map(() => Array.from({ length: informative * informative }, () => 0.6 * rng.normal()))
  const combination = Array.from({ length: combined * informative }, () => 0.5 * rng.normal())
  const rowCount = sizes[0] + sizes[1]
  const data = new Float32Array(rowCount * cols)
  const labels: string[] = []
  let row = 0
  sizes.forEach((size, label) => {
    for (let member = 0; member < size; member++, row++) {
      const out = data.subarray(row * cols, (row + 1) * cols)
      const draws = Array.from({ length: informative }, () => rng.normal())
      for (let col = 0; col < informative; col++) {
        out[col] = means[label][col]
        for (let draw = 0; draw < informative; draw++)
          out[col] += mixes[label][col * informative + draw] * draws[draw]
      }
      for (let col = 0; col < combined; col++)
        for (let source = 0; source < informative; source++)
          out[informative + col] += combination[col * informative + source] * out[source]
      for (let col = informative + combined; col < cols; col++) out[col] = rng.normal()
      labels.push(label === 0 ? 'common' : 'rare')
    }
  })
  return {
    origin: { path: 'memory:rare-gaussians', format: 'csv', sha256: 'in-memory', byteCount: 0 },
    rowCount,
    ids: Array.from({ length: rowCount }, (_, index) => `g${index}`),
    labels: encodeLabels('label', labels),
    features: { data, rows: rowCount, cols },
    featureNames: Array.from({ length: cols }, (_, col) => `f${col}`),
    warnings: [],
  }
}

/*
 * The rare class's own trimmed covariance, two thirds of it noise, took the noise for the class: the outliers ranked
 * the noise at 0.10–0.12 and their dataset-level test found nothing (p 0.02–0.2, seeds 1–3); with one covariance
 * pooled over the classes' cores 0.68–0.71, p ≤ 0.001.
 */
describe.each([1, 2, 3])('a 1:50 Gaussian table with a tenth of noise records added (seed %i)', (seed) => {
  it('has its noise ranked first by the outliers, who find it at the dataset level', async () => {
    const run = applyAttack('availability', rareGaussians(), { rate: 0.1, mode: 'noise' }, seed)
    const result = await runDetectorAlone(outliersDetector, run.dataset, backend)
    const positives = poisonMask(run.dataset.rowCount, run.poisonedRows)
    expect(averagePrecision(result.suspicion, positives)).toBeGreaterThanOrEqual(0.5)
    expect(result.datasetPValue).toBeLessThan(0.01)
  })
})
