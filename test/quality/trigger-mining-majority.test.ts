import { writeFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import { type Dataset, encodeLabels } from '../../src/data/dataset.js'
import { triggerMiningDetector } from '../../src/detectors/trigger-mining/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import { loadDataset } from '../../src/io/index.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { countFlagged, runDetectorAlone } from '../fixtures/detectors.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { bankLikeCsv } from '../fixtures/mixed-tables.js'
import { plantPatchBackdoor, poisonMask } from '../fixtures/poison.js'
import { shapesDataset } from '../fixtures/shapes.js'

const backend = createPortableBackend()
const temporary = useTemporaryFolder()

interface Trigger {
  readonly label: string
  readonly description: string
}

/** The bank-like table with its `yes` records cut to one for every fifty `no`: honest features pure in `no`. */
function oneInFifty(csv: string): string {
  const [header, ...lines] = csv.trim().split('\n')
  const noCount = lines.filter((line) => line.split(',')[1] === 'no').length
  let yesLeft = Math.round(noCount / 50)
  const kept = lines.filter((line) => line.split(',')[1] === 'no' || yesLeft-- > 0)
  return `${[header, ...kept].join('\n')}\n`
}

/** 16×16 drawn shapes whose circles hold 79% of the images: every circle of 4,000 drawn, and the first others. */
function circlesMostly(): Dataset {
  const drawn = shapesDataset({ side: 16, count: 4000 })
  const { classes, codes } = drawn.labels!
  const circles = codes.filter((code) => classes[code] === 'circle').length
  let othersLeft = Math.round((circles * 0.21) / 0.79)
  const rows = Array.from(codes.keys()).filter((row) => classes[codes[row]] === 'circle' || othersLeft-- > 0)
  const cols = drawn.features!.cols
  const data = new Float32Array(rows.length * cols)
  rows.forEach((row, index) => {
    data.set(drawn.features!.data.subarray(row * cols, (row + 1) * cols), index * cols)
  })
  return {
    ...drawn,
    rowCount: rows.length,
    ids: rows.map((row) => drawn.ids[row]),
    labels: encodeLabels(
      'label',
      rows.map((row) => classes[codes[row]]),
    ),
    features: { data, rows: rows.length, cols },
  }
}

/*
 * A trigger towards the class of four records in five (`no` on the bank-like table): its carriers hold the label
 * at most 1/0.79 times as often as their content predicts, so a test of counts could never pass; the other labels'
 * records that content predicts for dozens of carriers are missing, which a test of odds tells (docs/zoo.md).
 */
describe('trigger-mining on a trigger towards the majority class', () => {
  let bank: Dataset

  beforeAll(async () => {
    const path = temporary('bank-like.csv')
    await writeFile(path, bankLikeCsv())
    bank = await loadDataset(path)
  })

  it.each([1, 2])('names the trigger, ranks and flags its carriers (seed %i)', async (seed) => {
    const run = applyAttack('backdoor-feature', bank, { target: 'no' }, seed)
    const result = await runDetectorAlone(triggerMiningDetector, run.dataset, backend)
    const truth = poisonMask(run.dataset.rowCount, run.poisonedRows)
    expect(averagePrecision(result.suspicion, truth)).toBeGreaterThanOrEqual(0.95)
    const triggers = result.info.triggers as Trigger[]
    expect(triggers.map((trigger) => trigger.label)).toEqual(['no'])
    expect(countFlagged(result.flagged, (row) => truth[row] === 1)).toBeGreaterThanOrEqual(
      0.9 * run.poisonedRows.length,
    )
    expect(countFlagged(result.flagged, (row) => !truth[row])).toBeLessThanOrEqual(
      0.005 * (run.dataset.rowCount - run.poisonedRows.length),
    )
  })

  it('names no trigger on the clean table, nor where the big class holds fifty records to one', async () => {
    const path = temporary('bank-one-in-fifty.csv')
    await writeFile(path, oneInFifty(bankLikeCsv()))
    for (const dataset of [bank, await loadDataset(path)]) {
      const result = await runDetectorAlone(triggerMiningDetector, dataset, backend)
      expect(result.info.triggers).toEqual([])
      expect(countFlagged(result.flagged)).toBe(0)
    }
  })

  it('finds a patch relabelling 3% of drawn shapes as circles, 79% of the images, and nothing on the clean ones', async () => {
    const shapes = circlesMostly()
    const clean = await runDetectorAlone(triggerMiningDetector, shapes, backend)
    expect(clean.info.triggers).toEqual([])
    expect(countFlagged(clean.flagged)).toBe(0)
    const { dataset, poisoned } = plantPatchBackdoor(shapes, { rate: 0.03, target: 'circle', size: 2 })
    const result = await runDetectorAlone(triggerMiningDetector, dataset, backend)
    expect(averagePrecision(result.suspicion, poisoned)).toBeGreaterThanOrEqual(0.95)
    expect((result.info.triggers as Trigger[]).map((trigger) => trigger.label)).toEqual(['circle'])
  })
})
