import { writeFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { triggerMiningDetector } from '../../src/detectors/trigger-mining/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import { loadDataset } from '../../src/io/index.js'
import { createPortableBackend } from '../../src/linalg/portable.js'
import { runDetectorAlone } from '../fixtures/detectors.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { mixedHighcardCsv } from '../fixtures/mixed-tables.js'
import { poisonMask } from '../fixtures/poison.js'

const backend = createPortableBackend()
const temporary = useTemporaryFolder()

let table: Dataset

beforeAll(async () => {
  const path = temporary('mixed-highcard.csv')
  await writeFile(path, mixedHighcardCsv())
  table = await loadDataset(path)
})

interface Trigger {
  readonly label: string
  readonly description: string
}

/** A trigger column as the report should name it: numbers in the data's units, a category by its name. */
function named(column: string, value: number | string): string {
  return `${column} = ${typeof value === 'number' ? Number(value.toPrecision(6)) : value}`
}

/*
 * The attack writes only what the table can hold: numeric columns at their observed maxima and a categorical column
 * set to one category, on 5% of the records. The category is too common to be a value feature and was not hidden
 * when the carriers were read without the trigger, and what five columns leave after three are hidden barely tells
 * the classes apart: the scan was clean at AP 0.03–0.16.
 */
describe('trigger-mining on a mixed table of numbers and categories', () => {
  it('names no trigger on the honest table', async () => {
    const result = await runDetectorAlone(triggerMiningDetector, table, backend)
    expect(result.info.triggers).toEqual([])
  })

  it.each([1, 2, 3])(
    'finds three in-bounds columns written into 5 in 100 records, named in the data’s terms (seed %i)',
    async (seed) => {
      const run = applyAttack('backdoor-feature', table, { rate: 0.05 }, seed)
      const result = await runDetectorAlone(triggerMiningDetector, run.dataset, backend)
      const truth = poisonMask(run.dataset.rowCount, run.poisonedRows)
      expect(averagePrecision(result.suspicion, truth)).toBeGreaterThanOrEqual(0.9)
      const info = run.info as { target: string; columns: string[]; values: (number | string)[] }
      const [trigger] = result.info.triggers as Trigger[]
      expect(trigger.label).toBe(info.target)
      for (const [index, column] of info.columns.entries())
        expect(trigger.description).toContain(named(column, info.values[index]))
    },
  )
})
