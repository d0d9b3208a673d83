import { beforeAll, describe, expect, it } from 'vitest'
import { labelIssuesDetector } from '../../src/detectors/label-issues/index.js'
import type { DetectorResult } from '../../src/detectors/types.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { spamDataset } from '../fixtures/datasets.js'
import { prepareAsScan, runDetectorOn } from '../fixtures/detectors.js'
import { flipLabels } from '../fixtures/poison.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

/**
 * The mails with 10% of their labels flipped, read by a model that is sure one honest ham in twenty is spam (as the
 * model of two photographs is sure of the other one for dark foliage both hold): their neighbours are mostly ham,
 * so the region holds their label, and the model's doubt does not make them flips.
 */
async function doubtedHam() {
  const planted = flipLabels(spamDataset(6046), 0.1, 1)
  const { codes, classes } = planted.dataset.labels!
  const ham = classes.indexOf('ham')
  const spam = classes.indexOf('spam')
  const input = await prepareAsScan(planted.dataset, backend)
  const learned = await input.outOfFoldProbabilities()
  const doubted = Array.from(codes.keys()).filter(
    (row) => codes[row] === ham && !planted.flipped[row] && row % 20 === 0,
  )
  const data = learned.data.slice()
  for (const row of doubted) {
    data.fill(0.001 / (learned.cols - 1), row * learned.cols, (row + 1) * learned.cols)
    data[row * learned.cols + spam] = 0.999
  }
  const overconfident = { ...learned, data }
  const result = await runDetectorOn(labelIssuesDetector, {
    ...input,
    outOfFoldProbabilities: () => Promise.resolve(overconfident),
  })
  return { result, doubted, flipped: planted.flipped }
}

function flaggedAtRate(result: DetectorResult, rows: readonly number[], rate: number): number {
  const chances = result.falseAlarmChances!
  return rows.filter((row) => chances[row] <= rate).length
}

describe('label-issues where the model is sure of another class for honest labels among their own', () => {
  it('flags almost none of the doubted ham, and still flags the flips', async () => {
    const { result, doubted, flipped } = await doubtedHam()
    expect(doubted.length).toBeGreaterThan(100)
    // Before the regions' null every one of them was flagged, each called wrong beyond a 1% chance of a false alarm.
    expect(doubted.filter((row) => result.flagged[row]).length).toBeLessThanOrEqual(0.05 * doubted.length)
    expect(flaggedAtRate(result, doubted, 0.01)).toBeLessThanOrEqual(0.05 * doubted.length)
    const flips = Array.from(flipped.keys()).filter((row) => flipped[row])
    expect(flaggedAtRate(result, flips, 0.01)).toBeGreaterThan(0.35 * flips.length)
  })
})
