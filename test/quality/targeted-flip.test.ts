import { describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import type { FeatureMatrix } from '../../src/data/matrix.js'
import { findAttackedCells } from '../../src/detectors/targeted-flip/score.js'
import type { DetectorInput } from '../../src/detectors/types.js'
import type { ScanReport } from '../../src/domain/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { prepareOnce, prepareRelabelled, scanPrepared, useRealData } from '../fixtures/detectors.js'
import { flipLabels } from '../fixtures/poison.js'
import { zooDataset } from '../fixtures/zoo.js'

interface PairInfo {
  given: string
  true: string
  count: number
  expected: number
  pValue: number
  records: number
}

let backend: LinalgBackend
const datasets = {} as Record<'mnist' | 'spam', Dataset>
useRealData((data) => ({ backend, digits: datasets.mnist, mails: datasets.spam } = data))

/** Relabels `classShare` of the records labelled `from` as `to` with the label-flip attack. */
function plantTargetedFlip(dataset: Dataset, from: string, to: string, classShare: number, seed = 1) {
  const code = dataset.labels!.classes.indexOf(from)
  const classSize = dataset.labels!.codes.filter((label) => label === code).length
  const rate = (classShare * classSize) / dataset.rowCount
  const run = applyAttack('label-flip', dataset, { from, to, rate }, seed)
  const flipped = new Uint8Array(dataset.rowCount)
  for (const row of run.poisonedRows) flipped[row] = 1
  return { dataset: run.dataset, flipped }
}

const prepared = new Map<string, Promise<{ flipped: Uint8Array; input: DetectorInput }>>()

/**
 * A targeted flip planted in the built-in data and prepared as a scan would, once per file: the detector alone and
 * the fused scan of the same flip share its out-of-fold probabilities, and every relabelling of the same data its
 * features and neighbours.
 */
function preparedFlip(name: 'mnist' | 'spam', from: string, to: string, classShare: number) {
  const key = [name, from, to, classShare].join()
  let entry = prepared.get(key)
  if (!entry) {
    const planted = plantTargetedFlip(datasets[name], from, to, classShare)
    entry = prepareRelabelled(planted.dataset, datasets[name], backend).then((input) => ({
      flipped: planted.flipped,
      input,
    }))
    prepared.set(key, entry)
  }
  return entry
}

/** The report of targeted-flip alone on `dataset`, the records of `original` under other labels. */
async function scanTargetedFlip(dataset: Dataset, original: Dataset) {
  return (await scanPrepared(await prepareRelabelled(dataset, original, backend), ['targeted-flip'])).report
}

function attackedPairs(report: ScanReport): PairInfo[] {
  const detector = report.detectors.find((entry) => entry.id === 'targeted-flip')!
  expect(detector.status).toBe('ok')
  return detector.info!.attackedPairs as PairInfo[]
}

function suspicions(report: ScanReport): number[] {
  return report.records.map((record) => record.suspicion)
}

describe.each([
  { name: 'mnist' as const, from: '7', to: '1', share: 0.3, minimumPrecision: 0.9 },
  { name: 'mnist' as const, from: '4', to: '9', share: 0.2, minimumPrecision: 0.85 },
  { name: 'mnist' as const, from: '3', to: '8', share: 0.1, minimumPrecision: 0.85 },
  { name: 'mnist' as const, from: '1', to: '7', share: 0.4, minimumPrecision: 0.9 },
  { name: 'spam' as const, from: 'spam', to: 'ham', share: 0.3, minimumPrecision: 0.7 },
])(
  'targeted flip $from→$to of $share of the $from records in $name',
  ({ name, from, to, share, minimumPrecision }) => {
    it('reports the attacked pair and ranks its flipped records first', async () => {
      const planted = await preparedFlip(name, from, to, share)
      // Alone, the detector's own suspicion is the report's.
      const { report } = await scanPrepared(planted.input, ['targeted-flip'])
      const pairs = attackedPairs(report)
      expect(pairs).toHaveLength(1)
      expect(pairs[0]).toMatchObject({ given: to, true: from })
      expect(pairs[0].pValue).toBeLessThan(1e-6)
      expect(pairs[0].count).toBeGreaterThan(2 * pairs[0].expected)
      expect(averagePrecision(suspicions(report), planted.flipped)).toBeGreaterThanOrEqual(0.95)
      const flaggedRows = report.records.flatMap((record, row) => (record.flagged ? [row] : []))
      const caught = flaggedRows.filter((row) => planted.flipped[row]).length
      const flippedCount = planted.flipped.reduce((sum, flag) => sum + flag, 0)
      expect(caught / flaggedRows.length).toBeGreaterThanOrEqual(minimumPrecision)
      expect(caught / flippedCount).toBeGreaterThanOrEqual(0.9)
      const finding = report.records[flaggedRows[0]].findings[0]
      expect(finding.suggestedLabel).toBe(from)
      expect(finding.explanation).toMatch(
        new RegExp(
          `records labelled ${to} that look like ${from}: .*expected \\d+.* targeted flip ${from}→${to}`,
        ),
      )
    })
  },
)

// That targeted-flip reports no attacked pair on the clean digits and mails is checked in zoo.test.ts, on the full
// scans it runs of those datasets anyway (the detector's result within a scan is the one it gives alone).
describe('targeted-flip on data without a targeted flip', () => {
  it('reports no attacked pair on mnist with 0.1 random flips', async () => {
    const dataset = applyAttack('label-flip', datasets.mnist, { rate: 0.1 }, 2).dataset
    const report = await scanTargetedFlip(dataset, datasets.mnist)
    expect(attackedPairs(report)).toEqual([])
    expect(report.summary.flagged).toBe(0)
  })
})

describe('targeted-flip on the digits copied ten times', () => {
  // Ten copies of every record hold the same confusions with ten times the records behind each count, as a large
  // dataset does: ambiguous nines that look like fours become significant, and must not pass for a flip.
  function calledPairs(probabilities: FeatureMatrix, labels: Int32Array, copies: number) {
    const data = new Float32Array(probabilities.data.length * copies)
    const tiledLabels = new Int32Array(labels.length * copies)
    for (let copy = 0; copy < copies; copy++) {
      data.set(probabilities.data, copy * probabilities.data.length)
      tiledLabels.set(labels, copy * labels.length)
    }
    const tiled = { data, rows: probabilities.rows * copies, cols: probabilities.cols }
    const classes = datasets.mnist.labels!.classes
    return findAttackedCells(tiled, tiledLabels, { alpha: 0.001, minRecords: 10 }).attacked.map(
      (cell) => `${classes[cell.given]}←${classes[cell.target]}`,
    )
  }

  it('calls no pair attacked on the clean digits', async () => {
    const probabilities = await (await prepareOnce(datasets.mnist, backend)).outOfFoldProbabilities()
    expect(calledPairs(probabilities, datasets.mnist.labels!.codes, 10)).toEqual([])
  })

  it('still calls the one attacked pair of a flip of a tenth of the threes', async () => {
    const planted = await preparedFlip('mnist', '3', '8', 0.1)
    const probabilities = await planted.input.outOfFoldProbabilities()
    expect(calledPairs(probabilities, planted.input.labels!.codes, 10)).toEqual(['8←3'])
  })
})

describe('targeted-flip on class-imbalanced data with random flips', () => {
  // Class sizes fall from 1,000 to 20: random noise fills the smallest classes with other classes' records, so
  // their own records' confidence is low, which must not make a large similar class look flipped into them.
  it.each([1, 2, 3])(
    'reports no attacked pair with a tenth of the labels flipped at random (seed %i)',
    async (seed) => {
      const { dataset } = flipLabels(zooDataset('imbalanced-digits'), 0.1, seed)
      const report = await scanTargetedFlip(dataset, zooDataset('imbalanced-digits'))
      expect(attackedPairs(report)).toEqual([])
    },
  )
})

describe('the fused scan on a targeted flip', () => {
  it('ranks a 7→1 flip of 30% of the sevens with average precision >= 0.90', async () => {
    const planted = await preparedFlip('mnist', '7', '1', 0.3)
    const fusedScan = await scanPrepared(planted.input)
    const withDetector = fusedScan.report
    const without = fusedScan.without(['targeted-flip'])
    const fused = averagePrecision(suspicions(withDetector), planted.flipped)
    const baseline = averagePrecision(suspicions(without), planted.flipped)
    expect(fused).toBeGreaterThanOrEqual(0.9)
    expect(fused).toBeGreaterThan(baseline + 0.15)
    const caught = withDetector.records.filter((record, row) => record.flagged && planted.flipped[row]).length
    expect(caught / planted.flipped.reduce((sum, flag) => sum + flag, 0)).toBeGreaterThan(0.9)
  })
})
