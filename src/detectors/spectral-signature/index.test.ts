import { describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../../test/fixtures/datasets.js'
import type { Dataset } from '../../data/dataset.js'
import { createPortableBackend } from '../../linalg/portable.js'
import { prepareDetectorInput } from '../../scan/pipeline.js'
import { createRng } from '../../util/rng.js'
import { spectralSignatureDetector } from './index.js'

const width = 8
const backend = createPortableBackend()

/** Four Gaussian classes; `edit` may rewrite any row (its values and label) to plant something. */
function tabular(edit?: (row: number, values: Float32Array, label: string[]) => void): Dataset {
  const rng = createRng(21)
  const rows = 1600
  const data = new Float32Array(rows * width)
  const labels: string[] = []
  for (let row = 0; row < rows; row++) {
    const code = row % 4
    const values = data.subarray(row * width, (row + 1) * width)
    for (let col = 0; col < width; col++) values[col] = rng.normal() + (col === code ? 3 : 0)
    const label = [`c${code}`]
    edit?.(row, values, label)
    labels.push(label[0])
  }
  return inMemoryDataset({
    path: 'memory',
    ids: labels.map((_, row) => `r${row}`),
    labels,
    features: { data, rows, cols: width },
  })
}

async function detect(dataset: Dataset) {
  const input = await prepareDetectorInput(dataset, { backend, seed: 0, geometryDimensions: 64, folds: 5 })
  return spectralSignatureDetector.run(input, spectralSignatureDetector.params.parse({}), { seed: 0 })
}

describe('spectral-signature', () => {
  it('flags records of other classes that carry a trigger value and were relabelled', async () => {
    const planted = new Set<number>()
    const dataset = tabular((row, values, label) => {
      if (row % 4 === 3 || row % 10 !== 1) return
      values[7] = 12
      label[0] = 'c3'
      planted.add(row)
    })
    const result = await detect(dataset)
    for (let row = 0; row < dataset.rowCount; row++) expect(result.flagged[row] === 1).toBe(planted.has(row))
    expect(result.info.suspectedClasses).toEqual(['c3'])
    // The other three classes agree closely, so the poisoned one stands far out among them.
    expect(result.datasetPValue).toBeLessThan(1e-6)
  })

  it('leaves a class with two extreme outliers alone: outliers are not a poisoned population', async () => {
    const dataset = tabular((row, values) => {
      if (row === 2 || row === 6) values[5] = 400
    })
    const result = await detect(dataset)
    expect(result.flagged.every((flag) => flag === 0)).toBe(true)
  })

  it('tests a class only against other classes: two give no spread to measure against', async () => {
    const dataset = tabular((row, values, label) => {
      label[0] = row % 4 < 2 ? 'low' : 'high'
      if (row % 20 === 3) values[7] = 12
    })
    const result = await detect(dataset)
    expect(result.datasetPValue).toBeUndefined()
  })

  it('with two classes, flags a trigger on records relabelled from the other class', async () => {
    const planted = new Set<number>()
    const dataset = tabular((row, values, label) => {
      label[0] = row % 4 < 2 ? 'low' : 'high'
      if (row % 4 !== 0 || row % 10 !== 2) return
      values[7] = 30
      label[0] = 'high'
      planted.add(row)
    })
    const result = await detect(dataset)
    for (let row = 0; row < dataset.rowCount; row++) expect(result.flagged[row] === 1).toBe(planted.has(row))
    expect(result.info.suspectedClasses).toEqual(['high'])
  })

  it('with two classes, keeps a genuine group clean that the other class never resembles', async () => {
    // Held out of training, the group is still read as its own class: a part of it, not a trigger's carriers.
    const dataset = tabular((row, values, label) => {
      label[0] = row % 4 < 2 ? 'low' : 'high'
      if (row % 4 === 3 && row % 10 === 1) values[7] = 30
    })
    const result = await detect(dataset)
    expect(result.flagged.every((flag) => flag === 0)).toBe(true)
    expect(result.info.suspectedClasses).toEqual([])
  })

  it('concludes nothing when only one class can be measured', async () => {
    const dataset = tabular((row, _values, label) => {
      label[0] = row < 1590 ? 'big' : 'tiny'
    })
    const result = await detect(dataset)
    expect(result.flagged.every((flag) => flag === 0)).toBe(true)
    expect(result.warnings.join(' ')).toMatch(/too few records to analyse classes big/)
  })
})
