import { beforeAll, describe, expect, it } from 'vitest'
import { type Dataset, encodeLabels } from '../../src/data/dataset.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { createRng } from '../../src/util/rng.js'
import { prepareAsScan, scanPrepared } from '../fixtures/detectors.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

/**
 * 1,200 honest records of `classCount` classes: each class draws from three Gaussian modes of its own, and each
 * record with chance `sharedShare` from one more mode every class shares, so that mode holds the classes evenly.
 */
function sharedModes(seed: number, cols: number, sharedShare: number, classCount = 2) {
  const rng = createRng(seed)
  const modeCount = 3 * classCount + 1
  const centres = Float64Array.from({ length: modeCount * cols }, () => 3 * rng.normal())
  const rowCount = 1200
  const data = new Float32Array(rowCount * cols)
  const labels: string[] = []
  for (let row = 0; row < rowCount; row++) {
    const label = row % classCount
    const mode = rng.next() < sharedShare ? modeCount - 1 : 3 * label + rng.int(3)
    for (let col = 0; col < cols; col++) data[row * cols + col] = centres[mode * cols + col] + rng.normal()
    labels.push(`class${label}`)
  }
  const dataset: Dataset = {
    origin: { path: `memory:shared-modes-${seed}`, format: 'csv', sha256: 'in-memory', byteCount: 0 },
    rowCount,
    ids: Array.from({ length: rowCount }, (_, row) => String(row)),
    labels: encodeLabels('label', labels),
    features: { data, rows: rowCount, cols },
    featureNames: Array.from({ length: cols }, (_, col) => `x${col}`),
    warnings: [],
  }
  return { dataset }
}

/*
 * Honest tables whose classes are each several separate modes, one of them shared by every class: held out, a mode
 * that lies apart from every other record is labelled by a model that can only extrapolate, and activation-clustering
 * took such modes for planted groups ("a separate group of 172 records inside class class1", 'poisoned' with
 * nothing flagged on seed 3). With 30% of the records in the shared mode, 20 columns, the outliers took its dense
 * core for availability noise ("252 records far off the core of every class", 'poisoned').
 */
describe.each([
  ...[1, 2, 3, 4, 5].map((seed) => ({ seed, cols: 10, sharedShare: 0.2, classCount: 2 })),
  { seed: 6, cols: 5, sharedShare: 0.1, classCount: 2 },
  { seed: 7, cols: 20, sharedShare: 0.2, classCount: 2 },
  { seed: 8, cols: 10, sharedShare: 0.2, classCount: 3 },
  { seed: 7, cols: 20, sharedShare: 0.3, classCount: 2 },
])(
  '$classCount classes of three modes each and one shared by $sharedShare of the records, $cols columns (seed $seed)',
  ({ seed, cols, sharedShare, classCount }) => {
    it('are called clean, with no group found inside a class', async () => {
      const { dataset } = sharedModes(seed, cols, sharedShare, classCount)
      const { report } = await scanPrepared(await prepareAsScan(dataset, backend))
      expect(report.summary.verdict?.attacks).toEqual([])
      expect(report.summary.verdict?.verdict).toBe('clean')
    })
  },
)
