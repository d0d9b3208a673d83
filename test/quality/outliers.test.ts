import { describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { outliersDetector } from '../../src/detectors/outliers/index.js'
import type { Detector, DetectorResult } from '../../src/detectors/types.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createRng } from '../../src/util/rng.js'
import {
  countFlagged,
  type PreparedScan,
  prepareAsScan,
  runDetectorAlone,
  scanPrepared,
  useRealData,
} from '../fixtures/detectors.js'
import { poisonMask } from '../fixtures/poison.js'

let backend: LinalgBackend
let digits: Dataset
let mails: Dataset
useRealData((data) => ({ backend, digits, mails } = data))

function detect(dataset: Dataset): Promise<DetectorResult> {
  return runDetectorAlone(outliersDetector as Detector<unknown>, dataset, backend)
}

const flaggedCount = (result: DetectorResult) => countFlagged(result.flagged)

/** Digits with every 100th one replaced: even rows by their negative, odd ones by uniform noise. */
function withForeignImages(dataset: Dataset): { dataset: Dataset; replaced: number[] } {
  const rng = createRng(11)
  const pixels = new Float32Array(dataset.features!.data)
  const replaced: number[] = []
  for (let row = 50; row < dataset.rowCount; row += 100) {
    const image = pixels.subarray(row * 784, (row + 1) * 784)
    for (let pixel = 0; pixel < 784; pixel++)
      image[pixel] = replaced.length % 2 === 0 ? 1 - image[pixel] : rng.next()
    replaced.push(row)
  }
  return { dataset: { ...dataset, features: { ...dataset.features!, data: pixels } }, replaced }
}

// That outliers flags at most 1% of the clean digits and mails is checked in zoo.test.ts, on the full scans it runs
// of those datasets anyway (the detector's result within a scan is the one it gives alone).

describe('outliers on MNIST digits', () => {
  it.each([0.01, 0.05])('ranks %s noise-injected digits first, with explanations', async (rate) => {
    const run = applyAttack('availability', digits, { rate, mode: 'noise' }, 7)
    const result = await detect(run.dataset)
    const positives = poisonMask(run.dataset.rowCount, run.poisonedRows)
    expect(averagePrecision(result.suspicion, positives)).toBeGreaterThanOrEqual(0.9)
    const caught = Array.from(run.poisonedRows).filter((row) => result.flagged[row])
    expect(caught.length).toBeGreaterThan(0.9 * run.poisonedRows.length)
    expect(flaggedCount(result) - caught.length).toBeLessThanOrEqual(0.01 * digits.rowCount)
    expect(result.explanations[caught[0]]).toMatch(/isolation forest|raw features/)
  })

  it('scores negative and random-noise images as near-certain anomalies', async () => {
    const { dataset, replaced } = withForeignImages(digits)
    const result = await detect(dataset)
    expect(averagePrecision(result.suspicion, poisonMask(dataset.rowCount, replaced))).toBeGreaterThanOrEqual(
      0.95,
    )
    const confident = replaced.filter((row) => result.suspicion[row] >= 0.9)
    expect(confident.length).toBeGreaterThanOrEqual(0.9 * replaced.length)
  })
})

/**
 * Word salad on 1% of the mails in one default scan, for the detector's bars (its result within the scan is the one it
 * gives alone) and the fused scan's.
 */
let saladScan: Promise<{ run: ReturnType<typeof applyAttack>; scan: PreparedScan }> | undefined
function scannedSalad() {
  saladScan ??= (async () => {
    const run = applyAttack('availability', mails, { rate: 0.01, mode: 'noise' }, 8)
    return { run, scan: await scanPrepared(await prepareAsScan(run.dataset, backend)) }
  })()
  return saladScan
}

/** Word salad on `rate` of the mails, and what outliers makes of it. */
async function detectSalad(rate: number) {
  if (rate === 0.01) {
    const { run, scan } = await scannedSalad()
    return { run, result: scan.result('outliers') }
  }
  const run = applyAttack('availability', mails, { rate, mode: 'noise' }, 8)
  return { run, result: await detect(run.dataset) }
}

describe('outliers on SpamAssassin mails', () => {
  it.each([0.01, 0.05])('ranks %s word-salad mails first', async (rate) => {
    const { run, result } = await detectSalad(rate)
    expect(
      averagePrecision(result.suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.9)
    const caught = Array.from(run.poisonedRows).find((row) => result.flagged[row])!
    expect(result.explanations[caught]).toMatch(
      /^\d+% of its pairs of common words occur side by side nowhere else/,
    )
  })

  it('lets the fused scan rank 1% word-salad mails first', async () => {
    const { run, scan } = await scannedSalad()
    const { report } = scan
    const suspicion = report.records.map((record) => record.suspicion)
    expect(
      averagePrecision(suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.9)
  })
})

describe('outliers on degenerate data', () => {
  it('finds nothing among identical rows and declines three rows with a warning', async () => {
    const identical: Dataset = {
      ...digits,
      rowCount: 30,
      ids: digits.ids.slice(0, 30),
      labels: { ...digits.labels!, codes: digits.labels!.codes.slice(0, 30) },
      features: { data: new Float32Array(30 * 784).fill(0.5), rows: 30, cols: 784 },
    }
    expect(flaggedCount(await detect(identical))).toBe(0)
    const tiny = await detect({
      ...digits,
      rowCount: 3,
      ids: digits.ids.slice(0, 3),
      labels: { ...digits.labels!, codes: digits.labels!.codes.slice(0, 3) },
      features: { data: digits.features!.data.slice(0, 3 * 784), rows: 3, cols: 784 },
    })
    expect(Array.from(tiny.suspicion)).toEqual([0, 0, 0])
    expect(tiny.warnings[0]).toMatch(/only 3 records/)
  })
})
