import { describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../../data/matrix.js'
import { crossValidatedProbabilities } from '../../models/cross-validation.js'
import { createRng } from '../../util/rng.js'
import { foldAveragedProbabilities, readsFoldDraws } from './fold-draws.js'

/** Two overlapping Gaussian classes in 20 dimensions, a tenth of the labels flipped: out-of-fold reads vary by draw. */
function overlappingClasses(rowCount: number) {
  const rng = createRng(5)
  const cols = 20
  const data = new Float32Array(rowCount * cols)
  const codes = new Int32Array(rowCount)
  for (let row = 0; row < rowCount; row++) {
    const truth = row % 2
    for (let col = 0; col < cols; col++) data[row * cols + col] = rng.normal() + (col < 3 ? truth : 0)
    codes[row] = rng.next() < 0.1 ? 1 - truth : truth
  }
  return { x: { data, rows: rowCount, cols }, codes }
}

function meanSquaredDistance(first: FeatureMatrix, second: FeatureMatrix): number {
  let total = 0
  for (let index = 0; index < first.data.length; index++)
    total += (first.data[index] - second.data[index]) ** 2
  return total / first.data.length
}

describe('foldAveragedProbabilities', () => {
  it('lies nearer the mean over many draws of the folds than the scan’s one draw', async () => {
    const { x, codes } = overlappingClasses(400)
    const draws = Array.from({ length: 12 }, (_, seed) =>
      crossValidatedProbabilities(x, codes, 2, { rng: createRng(100 + seed) }),
    )
    const reference = {
      ...draws[0],
      data: Float32Array.from(draws[0].data, (_, index) => {
        let sum = 0
        for (const draw of draws) sum += draw.data[index]
        return sum / draws.length
      }),
    }
    const first = crossValidatedProbabilities(x, codes, 2, { rng: createRng(0) })
    const averaged = await foldAveragedProbabilities(x, codes, first, 0)
    expect(meanSquaredDistance(averaged, reference)).toBeLessThan(
      0.75 * meanSquaredDistance(first, reference),
    )
    for (let row = 0; row < codes.length; row++)
      expect(averaged.data[row * 2] + averaged.data[row * 2 + 1]).toBeCloseTo(1, 5)
  })

  it('is tried only where the model knows the labels better than the neighbours', () => {
    expect(readsFoldDraws({ model: 3.1, neighbours: 0.07 })).toBe(true)
    expect(readsFoldDraws({ model: 0.43, neighbours: 1.83 })).toBe(false)
  })
})
