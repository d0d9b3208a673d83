import { describe, expect, it } from 'vitest'
import { spamRecords } from '../../test/fixtures/datasets.js'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { pca } from '../linalg/svd.js'
import { createRng } from '../util/rng.js'
import { featurizeText } from './text.js'
import { foldedTextColumns, projectFoldedText } from './text-geometry.js'

function foldDense(matrix: SparseMatrix): FeatureMatrix {
  const width = foldedTextColumns
  const data = new Float32Array(matrix.rows * width)
  for (let row = 0; row < matrix.rows; row++) {
    for (let entry = matrix.indptr[row]; entry < matrix.indptr[row + 1]; entry++) {
      data[row * width + (matrix.indices[entry] & (width - 1))] += matrix.values[entry]
    }
  }
  return { data, rows: matrix.rows, cols: width }
}

describe('projectFoldedText', () => {
  const texts = spamRecords()
    .slice(0, 1_000)
    .map((record) => record.text)
  const { matrix } = featurizeText(texts, { charNgramMax: 0, maxChars: 2_000 })
  const components = 8

  it('gives the PCA of the whole folded matrix bit for bit when the rows fit one block', async () => {
    const projected = await projectFoldedText(matrix, components, { rng: createRng(3) })
    const reference = await pca(foldDense(matrix), components, { rng: createRng(3) })
    expect(projected.rows * projected.cols).toBe(matrix.rows * components)
    let differences = 0
    for (let i = 0; i < projected.data.length; i++)
      if (projected.data[i] !== reference.projected.data[i]) differences++
    expect(differences).toBe(0)
  })

  it('gives the same leading components, to float rounding, folding 128 rows at a time', async () => {
    const whole = await projectFoldedText(matrix, components, { rng: createRng(3) })
    const blocked = await projectFoldedText(matrix, components, { rng: createRng(3), blockRows: 128 })
    // The trailing components of a randomized SVD are the least settled; the leading ones must agree.
    for (let col = 0; col < 4; col++) {
      let norm = 0
      let difference = 0
      for (let row = 0; row < matrix.rows; row++) {
        norm += whole.data[row * components + col] ** 2
        difference += (whole.data[row * components + col] - blocked.data[row * components + col]) ** 2
      }
      expect(Math.sqrt(difference / norm)).toBeLessThan(1e-4)
    }
  })
})
