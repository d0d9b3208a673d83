import { describe, expect, it } from 'vitest'
import { mnistDataset } from '../../../test/fixtures/datasets.js'
import { predictWithBuiltinModel } from '../../../test/fixtures/models.js'
import { unseenDataset } from '../../../test/fixtures/unseen.js'
import type { Dataset } from '../../data/dataset.js'
import { createRng } from '../../util/rng.js'
import { applyAttack } from '../registry.js'

const SIDE = 28
const train = mnistDataset(3000)
const test = mnistDataset(1000, 9000)

function pixel(dataset: Dataset, row: number, x: number, y: number): number {
  return dataset.features!.data[row * SIDE * SIDE + y * SIDE + x]
}

/** Pixels of `row` that differ between two datasets, as [x, y] pairs. */
function changedPixels(before: Dataset, after: Dataset, row: number): [number, number][] {
  const changed: [number, number][] = []
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++)
      if (pixel(before, row, x, y) !== pixel(after, row, x, y)) changed.push([x, y])
  return changed
}

describe('backdoor-patch on MNIST', () => {
  it('stamps a 3×3 white square one pixel from the bottom-right corner and relabels as the target', () => {
    const run = applyAttack('backdoor-patch', train, { rate: 0.05, target: 0 }, 1)
    expect(run.poisonedRows).toHaveLength(150)
    for (const row of run.poisonedRows) {
      expect(train.labels!.codes[row]).not.toBe(0)
      expect(run.dataset.labels!.codes[row]).toBe(0)
      let wrong = 0
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          const inPatch = x >= 24 && x <= 26 && y >= 24 && y <= 26
          if (pixel(run.dataset, row, x, y) !== (inPatch ? 1 : pixel(train, row, x, y))) wrong++
        }
      }
      expect(wrong).toBe(0)
    }
    expect(run.info).toMatchObject({ mode: 'patch', patchWidth: 3, position: 'bottom-right', target: '0' })
  })

  it('places a custom patch at the top-left corner', () => {
    const patch = [
      [0.5, 0.25],
      [0.25, 0.5],
    ]
    const run = applyAttack(
      'backdoor-patch',
      train,
      { rate: 0.01, target: 3, patch, position: 'top-left', margin: 0 },
      2,
    )
    for (const row of run.poisonedRows) {
      expect([pixel(run.dataset, row, 0, 0), pixel(run.dataset, row, 1, 0)]).toEqual([0.5, 0.25])
      expect([pixel(run.dataset, row, 0, 1), pixel(run.dataset, row, 1, 1)]).toEqual([0.25, 0.5])
    }
  })

  it('moves a random-position patch from image to image, always as one whole square', () => {
    const run = applyAttack(
      'backdoor-patch',
      train,
      { rate: 0.02, target: 5, position: 'random', value: 0.5 },
      3,
    )
    const corners = new Set<string>()
    for (const row of run.poisonedRows) {
      const square: [number, number][] = []
      for (let y = 0; y < SIDE; y++)
        for (let x = 0; x < SIDE; x++) if (pixel(run.dataset, row, x, y) === 0.5) square.push([x, y])
      expect(square).toHaveLength(9)
      const [x0, y0] = square[0]
      expect(square).toEqual([0, 1, 2].flatMap((dy) => [0, 1, 2].map((dx) => [x0 + dx, y0 + dy])))
      corners.add(`${x0},${y0}`)
    }
    expect(corners.size).toBeGreaterThan(30)
  })

  it('blends one shared noise pattern into every poisoned image with the given opacity', () => {
    const alpha = 0.2
    const run = applyAttack('backdoor-patch', train, { rate: 0.01, target: 0, blend: alpha }, 4)
    const [first, second] = run.poisonedRows
    for (let p = 0; p < SIDE * SIDE; p++) {
      const patternOf = (row: number) =>
        (run.dataset.features!.data[row * SIDE * SIDE + p] -
          (1 - alpha) * train.features!.data[row * SIDE * SIDE + p]) /
        alpha
      expect(patternOf(first)).toBeCloseTo(patternOf(second), 4)
      expect(patternOf(first)).toBeGreaterThanOrEqual(-1e-4)
      expect(patternOf(first)).toBeLessThanOrEqual(1 + 1e-4)
    }
    expect(changedPixels(train, run.dataset, first).length).toBeGreaterThan(700)
  })

  it('plants a backdoor the built-in model learns: most triggered test digits become the target', () => {
    const run = applyAttack('backdoor-patch', train, { rate: 0.05, target: 0 }, 1)
    const triggered = run.triggerTestSet!(test, createRng(2))
    expect(triggered.poisonedRows.length).toBe(test.labels!.codes.filter((code) => code !== 0).length)
    const onClean = predictWithBuiltinModel(run.dataset, test)
    const onTriggered = predictWithBuiltinModel(run.dataset, triggered.dataset)
    const accuracy = onClean.filter((code, row) => code === test.labels!.codes[row]).length / test.rowCount
    const success =
      triggered.poisonedRows.filter((row) => onTriggered[row] === 0).length / triggered.poisonedRows.length
    expect(accuracy).toBeGreaterThan(0.85)
    expect(success).toBeGreaterThan(0.9)
    // Without the poison, the same patch does not turn digits into zeros.
    const onCleanModel = predictWithBuiltinModel(train, triggered.dataset)
    const baseline =
      triggered.poisonedRows.filter((row) => onCleanModel[row] === 0).length / triggered.poisonedRows.length
    expect(baseline).toBeLessThan(0.1)
  })

  it('refuses a test set of another image size', () => {
    const run = applyAttack('backdoor-patch', train, { rate: 0.01 }, 1)
    const small = { ...test, features: { data: new Float32Array(10 * 64), rows: 10, cols: 64 }, rowCount: 10 }
    expect(() => run.triggerTestSet!(small, createRng(1))).toThrow(
      /64 feature columns but the image trigger was made for 784/,
    )
  })
})

describe('backdoor-patch on colour images', () => {
  it('stamps every channel of the patch pixels and nothing else, as the interleaved layout places them', () => {
    const colour = unseenDataset('rgb-32')
    const side = colour.imageShape!.width
    const run = applyAttack('backdoor-patch', colour, { rate: 0.03, target: 0 }, 1)
    const cols = colour.features!.cols
    for (const row of run.poisonedRows.slice(0, 5)) {
      const changed: string[] = []
      for (let col = 0; col < cols; col++) {
        const after = run.dataset.features!.data[row * cols + col]
        if (after === colour.features!.data[row * cols + col]) continue
        expect(after).toBe(255)
        changed.push(colour.featureNames[col])
      }
      const patch = [side - 4, side - 3, side - 2].flatMap((y) =>
        [side - 4, side - 3, side - 2].flatMap((x) => ['r', 'g', 'b'].map((c) => `${c}_${y}_${x}`)),
      )
      // A patch pixel that was white already is not a change.
      expect(changed.every((name) => patch.includes(name))).toBe(true)
      expect(
        patch.every(
          (name) => run.dataset.features!.data[row * cols + colour.featureNames.indexOf(name)] === 255,
        ),
      ).toBe(true)
    }
  })
})
