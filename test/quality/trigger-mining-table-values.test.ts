import { writeFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { triggerMiningDetector } from '../../src/detectors/trigger-mining/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import { loadDataset } from '../../src/io/index.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { countFlagged, runDetectorAlone } from '../fixtures/detectors.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { bankLikeCsv } from '../fixtures/mixed-tables.js'
import { poisonMask } from '../fixtures/poison.js'
import { inkProfiles } from '../fixtures/zoo.js'

const backend = createPortableBackend()
const temporary = useTemporaryFolder()

interface Trigger {
  readonly label: string
  readonly description: string
}

type AttackInfo = { target: string; columns: string[]; values: (number | string)[] }

/** A trigger column as the report names it: numbers in the data's units, a category by its name. */
function named(column: string, value: number | string): string {
  return `${column} = ${typeof value === 'number' ? Number(value.toPrecision(6)) : value}`
}

/*
 * The bank-like table's trigger writes `education = secondary`, a category 93 honest records hold, beside a call
 * duration no honest record has: the honest `yes` records of that category matched half of the trigger, were taken
 * for poisoned records and flagged with it (42 of 3,800 honest records, 1.1%).
 */
describe('trigger-mining on a trigger that writes a category honest records hold', () => {
  let bank: Dataset

  beforeAll(async () => {
    const path = temporary('bank-like.csv')
    await writeFile(path, bankLikeCsv())
    bank = await loadDataset(path)
  })

  it('flags its poisoned records and at most 0.5% of the honest ones (seed 1)', async () => {
    const run = applyAttack('backdoor-feature', bank, { target: 'yes' }, 1)
    const info = run.info as AttackInfo
    expect(info.values).toContain('secondary')
    const result = await runDetectorAlone(triggerMiningDetector, run.dataset, backend)
    const truth = poisonMask(run.dataset.rowCount, run.poisonedRows)
    const honestCount = run.dataset.rowCount - run.poisonedRows.length
    expect(averagePrecision(result.suspicion, truth)).toBeGreaterThanOrEqual(0.98)
    expect(countFlagged(result.flagged, (row) => !truth[row])).toBeLessThanOrEqual(0.005 * honestCount)
    expect(countFlagged(result.flagged, (row) => truth[row] === 1)).toBeGreaterThanOrEqual(
      0.95 * run.poisonedRows.length,
    )
  })
})

/*
 * Three columns of the ink profiles set to their maxima on 15% of the records: the values are held by more records
 * than a value feature may be, and where a column's blank records outnumber them they are no candidates at all; the
 * one candidate column was then hidden alone, and the carriers read each other through the other two (seeds 1 and 2
 * were `clean`, no trigger named).
 */
describe('trigger-mining on values written into 15% of a table', () => {
  const ink = inkProfiles()

  it.each([1, 2])(
    'names every written column and ranks the carriers at AP ≥ 0.95 (seed %i)',
    async (seed) => {
      const run = applyAttack('backdoor-feature', ink, { rate: 0.15 }, seed)
      const info = run.info as AttackInfo
      const result = await runDetectorAlone(triggerMiningDetector, run.dataset, backend)
      const truth = poisonMask(run.dataset.rowCount, run.poisonedRows)
      expect(averagePrecision(result.suspicion, truth)).toBeGreaterThanOrEqual(0.95)
      const [trigger] = result.info.triggers as Trigger[]
      expect(trigger.label).toBe(info.target)
      for (const [index, column] of info.columns.entries())
        expect(trigger.description).toContain(named(column, info.values[index]))
    },
  )

  it('names no trigger after 10% random flips', async () => {
    const run = applyAttack('label-flip', ink, { rate: 0.1 }, 1)
    const result = await runDetectorAlone(triggerMiningDetector, run.dataset, backend)
    expect(result.info.triggers).toEqual([])
  })
})
