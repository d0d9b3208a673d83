import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import type { ScanReport } from '../../src/domain/index.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanDataset } from '../../src/scan/scan.js'
import { flipLabels, poisonMask, rankingOf } from '../fixtures/poison.js'
import { shapesDataset } from '../fixtures/shapes.js'
import { uciDigits } from '../fixtures/uci-digits.js'

/*
 * Clean-label poisons on data the detectors were not built on (docs/clean-label.md, "Patterns under what every
 * class varies in"): drawn shapes whose every pixel varies, and the UCI digits written by 43 people.
 */

let backend: LinalgBackend
/** The 64×64 shapes the attacks are planted in, and other shapes left without poison; each drawn once. */
let shapes: Dataset
let unpoisonedShapes: Dataset

beforeAll(async () => {
  backend = await createDefaultBackend()
  shapes = shapesDataset({ side: 64, count: 1200 })
  unpoisonedShapes = shapesDataset({ side: 64, count: 1200, seed: 3 })
})

afterAll(async () => {
  await backend.dispose()
})

function calledClasses(report: ScanReport): string[] {
  const info = report.detectors[0].info as { patterns: { label: string }[] }
  return info.patterns.map((found) => found.label)
}

/*
 * 1,200 shapes of 64×64 at random place, size, ink and ground: the circles' leading directions are where they lie
 * and how bright they are, and a sine of 20 grey levels lay along none of them (AP 0.019 before).
 */
describe.each([1, 2, 3])('SIG on 15% of the circles of 64×64 noisy shapes (attack seed %i)', (seed) => {
  it('is ranked with average precision ≥ 0.95 and the circles alone called attacked', async () => {
    const run = applyAttack('label-consistent', shapes, { target: 'circle' }, seed)
    const report = await scanDataset(run.dataset, { backend, detectors: ['clean-label-backdoor'] })
    expect(rankingOf(report, poisonMask(run.dataset.rowCount, run.poisonedRows))).toBeGreaterThanOrEqual(0.95)
    expect(calledClasses(report)).toEqual(['circle'])
  })
})

describe('64×64 noisy shapes without poison', () => {
  it.each([
    ['clean', 0],
    ['with 10% of their labels flipped at random', 1],
  ])(
    'are %s: no class called attacked and no record flagged by clean-label-backdoor',
    async (_, flipSeed) => {
      const data = flipSeed === 0 ? unpoisonedShapes : flipLabels(unpoisonedShapes, 0.1, flipSeed).dataset
      const report = await scanDataset(data, { backend, detectors: ['clean-label-backdoor'] })
      expect(calledClasses(report)).toEqual([])
      expect(report.records.filter((record) => record.flagged)).toEqual([])
    },
  )
})

/*
 * Writers' own groups detach from their class and crowd 9–12 neighbours of a digit of another class, which flattens
 * the crowd test's power law; the poisons are found by the mixing test (docs/clean-label.md).
 */
describe.each([1, 2, 3])('60 feature-collision poisons in the UCI 8×8 digits (attack seed %i)', (seed) => {
  it('are ranked with average precision ≥ 0.80 and called one collision of their class', async () => {
    const run = applyAttack('feature-collision', uciDigits(), { poisons: 60 }, seed)
    const report = await scanDataset(run.dataset, { backend, detectors: ['feature-collision'] })
    expect(rankingOf(report, poisonMask(run.dataset.rowCount, run.poisonedRows))).toBeGreaterThanOrEqual(0.8)
    const { collisions } = report.detectors[0].info as { collisions: { label: string; records: number }[] }
    expect(collisions.map(({ label }) => label)).toEqual([run.info.base])
    expect(collisions[0].records).toBeGreaterThanOrEqual(50)
  })
})

describe('the UCI 8×8 digits without poison', () => {
  it('hold no collision and no record flagged by feature-collision', async () => {
    const report = await scanDataset(uciDigits(), { backend, detectors: ['feature-collision'] })
    expect((report.detectors[0].info as { collisions: unknown[] }).collisions).toEqual([])
    expect(report.records.filter((record) => record.flagged)).toEqual([])
  })
})
