import { beforeAll, describe, expect, it } from 'vitest'
import { subsetDataset } from '../data/dataset.js'
import { detectorIds } from '../detectors/registry.js'
import { runBenchmark } from './bench.js'
import { mnistBenchDataset } from './bench-data.js'
import type { BenchCell, BenchResult } from './bench-types.js'
import type { DetectionScore } from './detection-score.js'

function expectSaneScore(score: DetectionScore | undefined): void {
  expect(score).toBeDefined()
  for (const value of [
    score!.averagePrecision,
    score!.areaUnderRoc,
    score!.precision,
    score!.recall,
    score!.f1,
  ]) {
    expect(value).toBeGreaterThanOrEqual(0)
    expect(value).toBeLessThanOrEqual(1)
  }
  expect(score!.truePositives).toBeLessThanOrEqual(score!.flagged)
}

/** Everything but wall times, which differ from run to run. */
function withoutTimings(result: BenchResult) {
  return JSON.parse(
    JSON.stringify(result, (key, value) =>
      key === 'durationMs' || key === 'featuresMs' ? undefined : value,
    ),
  )
}

describe('runBenchmark --quick', () => {
  let result: BenchResult
  const steps: string[] = []
  const cell = (attack: string) => result.cells.find((entry) => entry.attack === attack) as BenchCell

  beforeAll(async () => {
    result = await runBenchmark({ quick: true, onProgress: ({ step }) => steps.push(step) })
  })

  it('runs two attacks at one rate on the 2,000-record MNIST subset', () => {
    expect(result.datasets).toEqual([
      expect.objectContaining({ name: 'mnist-2000', trainRows: 2000, testRows: 1000 }),
    ])
    expect(result.cells.map((entry) => `${entry.attack}@${entry.rate}:${entry.status}`)).toEqual([
      'label-flip@0.1:ok',
      'backdoor-patch@0.1:ok',
    ])
    expect(cell('label-flip').poisoned).toBe(200)
    expect(steps.some((step) => step.startsWith('mnist-2000 label-flip 0.1: '))).toBe(true)
  })

  it('scores every registered detector and the fused scan with numbers in range', () => {
    for (const entry of result.cells) {
      expect(entry.detectors!.map((detector) => detector.id)).toEqual(detectorIds)
      for (const detector of entry.detectors!) {
        expect(detector.durationMs).toBeGreaterThanOrEqual(0)
        if (detector.status === 'ok') expectSaneScore(detector.score)
      }
      expectSaneScore(entry.fused)
    }
  })

  it('finds 10% random label flips with a fused average precision of at least 0.85', () => {
    expect(cell('label-flip').fused!.averagePrecision).toBeGreaterThanOrEqual(0.85)
    expect(cell('label-flip').fused!.areaUnderRoc).toBeGreaterThan(0.95)
  })

  it('measures the downstream model: the backdoor works, and removing the true poisons disarms it', () => {
    const { downstream } = cell('backdoor-patch')
    expect(downstream!.measure).toBe('backdoor')
    expect(downstream!.poisoned.attackSuccess).toBeGreaterThan(0.5)
    expect(downstream!.oracle.attackSuccess).toBeLessThanOrEqual(downstream!.poisoned.attackSuccess!)
    expect(downstream!.oracle.attackSuccess).toBeLessThan(0.1)
    expect(downstream!.oracle.trainRows).toBe(1800)
    const flips = cell('label-flip').downstream!
    expect(flips.measure).toBe('none')
    expect(flips.poisoned.attackSuccess).toBeNull()
    expect(flips.oracle.accuracy).toBeGreaterThanOrEqual(flips.poisoned.accuracy!)
    expect(flips.cleaned.trainRows).toBe(2000 - cell('label-flip').fused!.flagged)
    expect(result.datasets[0].cleanAccuracy).toBeGreaterThan(0.85)
  })

  it('survives a JSON round trip', () => {
    expect(JSON.parse(JSON.stringify(result))).toEqual(result)
  })
})

describe('runBenchmark', () => {
  const digits = subsetDataset(
    mnistBenchDataset(),
    Int32Array.from({ length: 600 }, (_, row) => row),
  )
  const options = {
    builtin: [],
    datasets: [{ name: 'digits', dataset: digits }],
    attacks: ['label-flip', 'targeted'],
    rates: [0.1],
  }

  it('gives the same numbers for the same seed and other numbers for another', async () => {
    const first = await runBenchmark({ ...options, seed: 3 })
    const again = await runBenchmark({ ...options, seed: 3 })
    const other = await runBenchmark({ ...options, seed: 4 })
    expect(withoutTimings(again)).toEqual(withoutTimings(first))
    expect(withoutTimings(other).cells).not.toEqual(withoutTimings(first).cells)
    expect(first.datasets[0]).toMatchObject({ name: 'digits', trainRows: 480, testRows: 120 })
    const targeted = first.cells.find((entry) => entry.attack === 'targeted')!
    expect(targeted).toMatchObject({ rate: null, poisoned: 10, rows: 490 })
    expect(targeted.downstream).toMatchObject({ measure: 'targeted', successInputs: 1 })
  })

  it('reports a cell the attack cannot run as skipped, with the reason', async () => {
    // 95% of the records cannot carry a backdoor: the target class's own records are not eligible.
    const result = await runBenchmark({ ...options, attacks: ['backdoor-patch'], rates: [0.95] })
    expect(result.cells).toEqual([
      expect.objectContaining({ status: 'skipped', reason: expect.stringMatching(/backdoor-patch/) }),
    ])
    expect(result.cells[0].detectors).toBeUndefined()
  })
})
