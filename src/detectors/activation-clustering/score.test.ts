import { describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { createDefaultBackend } from '../../linalg/default-backend.js'
import { createRng } from '../../util/rng.js'
import { measureClassSpectra } from '../class-spectra.js'
import { judgeClusters } from './score.js'

/** The exact 10 nearest neighbours of every row, as a scan reads them. */
async function neighboursOf(features: FeatureMatrix): Promise<NeighbourGraph> {
  const backend = await createDefaultBackend()
  try {
    return await backend.knn(features, features, 10, { metric: 'euclidean', excludeSelf: true })
  } finally {
    await backend.dispose()
  }
}

const width = 6
const triggerColumn = 5
const thresholds = {
  minSilhouette: 0.5,
  minClusterShare: 0.01,
  maxClusterShare: 0.35,
  maxOwnLabelShare: 0.25,
}

/** The marked records split off clearly as the group, and the group was not retrained on or judged. */
function expectMarkedGroupUnjudged(
  verdict: ReturnType<typeof judgeClusters>,
  marked: ArrayLike<number>,
): void {
  expect(verdict.silhouette).toBeGreaterThan(0.5)
  expect(Array.from(verdict.members).every((row) => marked[row] === 1)).toBe(true)
  expect(verdict.reclassification).toBeUndefined()
  expect(verdict.confidence).toBe(0)
}

/**
 * Three classes told apart by columns 0–2; in a fifth of class 2 column 5 is lit at `mark`. With `poisoned`, those
 * records are really class 0 or 1 (a backdoor); without, they are genuine class-2 records with an unusual feature,
 * of which a share `mislabelled` carries the label of class 0 or 1 (label noise). At the default mark the lit
 * records keep some of the others among their nearest neighbours; lit far brighter they are an island.
 */
function dataset(poisoned: boolean, mislabelled = 0, mark = 1) {
  const rng = createRng(11)
  const rows = 1200
  const data = new Float32Array(rows * width)
  const codes = new Int32Array(rows)
  const marked = new Uint8Array(rows)
  for (let row = 0; row < rows; row++) {
    const code = row % 3
    codes[row] = code
    marked[row] = code === 2 && rng.next() < 0.2 ? 1 : 0
    const looksLike = marked[row] && poisoned ? row % 2 : code
    for (let col = 0; col < width; col++) data[row * width + col] = rng.normal() + (col === looksLike ? 4 : 0)
    data[row * width + triggerColumn] = marked[row] ? mark + 0.1 * rng.normal() : 0.1 * rng.normal()
    if (marked[row] && rng.next() < mislabelled) codes[row] = row % 2
  }
  const features: FeatureMatrix = { data, rows, cols: width }
  const labels = { name: 'label', classes: ['a', 'b', 'c'], codes }
  const spectra = measureClassSpectra(features, codes, 3, { componentCount: 4 })
  return { features, labels, spectra, marked }
}

describe('judgeClusters', async () => {
  it('flags a separate cluster that a model trained without it puts in other classes', async () => {
    const { features, labels, spectra, marked } = dataset(true)
    const verdict = judgeClusters(spectra.classes[2]!, 4, features, labels, thresholds, {
      rng: createRng(1),
      neighbours: await neighboursOf(features),
    })
    expect(verdict.silhouette).toBeGreaterThan(0.5)
    expect(verdict.confidence).toBeGreaterThan(0.9)
    expect(Array.from(verdict.members).every((row) => marked[row] === 1)).toBe(true)
    expect(verdict.members.length).toBe(marked.reduce((sum, flag) => sum + flag, 0))
    expect(verdict.reclassification!.ownLabelShare).toBeLessThan(0.1)
  })

  it('keeps a genuine but unusual group of a class clean', async () => {
    const { features, labels, spectra } = dataset(false)
    const verdict = judgeClusters(spectra.classes[2]!, 4, features, labels, thresholds, {
      rng: createRng(1),
      neighbours: await neighboursOf(features),
    })
    expect(verdict.silhouette).toBeGreaterThan(0.5)
    expect(verdict.reclassification!.ownLabelShare).toBeGreaterThan(0.9)
    expect(verdict.confidence).toBe(0)
  })

  it('keeps a genuine group clean when some of its region carries other labels', async () => {
    // Trained with the mislabelled members of the region, a model would learn the group's feature as another
    // class's and put the whole group there.
    const { features, labels, spectra } = dataset(false, 0.15)
    const verdict = judgeClusters(spectra.classes[2]!, 4, features, labels, thresholds, {
      rng: createRng(1),
      neighbours: await neighboursOf(features),
    })
    expect(verdict.silhouette).toBeGreaterThan(0.5)
    expect(verdict.reclassification!.ownLabelShare).toBeGreaterThan(0.9)
    expect(verdict.confidence).toBe(0)
  })

  it('leaves a cluster that one code of a categorical column makes to the trigger tests', async () => {
    // The same backdoor, but its mark is a one-hot code (exactly 1 on the cluster, 0 on the rest of the class): held
    // out, a category the model never saw set leaves its label whether it is poison or a natural kind of record.
    const { features, labels, marked } = dataset(true)
    for (let row = 0; row < features.rows; row++) features.data[row * width + triggerColumn] = marked[row]
    const spectra = measureClassSpectra(features, labels.codes, 3, { componentCount: 4 })
    const verdict = judgeClusters(spectra.classes[2]!, 4, features, labels, thresholds, {
      rng: createRng(1),
      neighbours: await neighboursOf(features),
    })
    expectMarkedGroupUnjudged(verdict, marked)
  })

  it('does not retrain when the class does not split clearly', async () => {
    const { features, labels, spectra } = dataset(true)
    const verdict = judgeClusters(spectra.classes[0]!, 4, features, labels, thresholds, {
      rng: createRng(1),
      neighbours: await neighboursOf(features),
    })
    expect(verdict.silhouette).toBeLessThan(0.5)
    expect(verdict.reclassification).toBeUndefined()
    expect(verdict.confidence).toBe(0)
  })

  it('leaves a couple of extreme outliers to the outlier detectors', async () => {
    const { features, labels, marked } = dataset(false)
    for (let row = 0; row < features.rows; row++) {
      features.data[row * width + triggerColumn] = marked[row]
        ? 0
        : features.data[row * width + triggerColumn]
      if (row === 2 || row === 5) features.data[row * width + triggerColumn] = 400
    }
    const spectra = measureClassSpectra(features, labels.codes, 3, { componentCount: 4 })
    const verdict = judgeClusters(spectra.classes[2]!, 4, features, labels, thresholds, {
      rng: createRng(1),
      neighbours: await neighboursOf(features),
    })
    expect(verdict.members.length).toBe(2)
    expect(verdict.reclassification).toBeUndefined()
    expect(verdict.confidence).toBe(0)
  })
  it.each([
    { kind: 'genuine', poisoned: false },
    { kind: 'poisoned', poisoned: true },
  ])(
    'leaves a $kind group that is an island unjudged: held out, a model can only extrapolate',
    async ({ poisoned }) => {
      const { features, labels, spectra, marked } = dataset(poisoned, 0, 8)
      const verdict = judgeClusters(spectra.classes[2]!, 4, features, labels, thresholds, {
        rng: createRng(1),
        neighbours: await neighboursOf(features),
      })
      expectMarkedGroupUnjudged(verdict, marked)
    },
  )
})
