import { describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { subsetDataset } from '../../src/data/dataset.js'
import { compareSourceModels } from '../../src/robust/per-source.js'
import { mnistDataset } from '../fixtures/datasets.js'

const sourceCount = 10
const poisonedSource = 'source-7'
const digits = mnistDataset(8000)

/** The training digits dealt to ten sources, one of which sends the records `attack` poisons. */
function poisonOneSource(attack: string, params: Record<string, unknown>) {
  const parts: Dataset[] = []
  const sources: string[] = []
  let poisonedRows: number[] = []
  let offset = 0
  for (let source = 1; source <= sourceCount; source++) {
    const name = `source-${source}`
    const rows = Int32Array.from(
      { length: digits.rowCount / sourceCount },
      (_, index) => index * sourceCount + source - 1,
    )
    let part = subsetDataset(digits, rows)
    if (name === poisonedSource) {
      const run = applyAttack(attack, part, params, 11)
      part = run.dataset
      poisonedRows = Array.from(run.poisonedRows, (row) => offset + row)
    }
    parts.push(part)
    sources.push(...Array.from({ length: part.rowCount }, () => name))
    offset += part.rowCount
  }
  const cols = digits.features!.cols
  const data = new Float32Array(offset * cols)
  let row = 0
  for (const part of parts) {
    data.set(part.features!.data, row * cols)
    row += part.rowCount
  }
  const labels = Int32Array.from(parts.flatMap((part) => Array.from(part.labels!.codes)))
  return { x: { data, rows: offset, cols }, labels, sources, poisonedRows }
}

describe('per-source models on MNIST from ten sources', () => {
  it.each([
    ['label-flip', { rate: 0.1 }],
    ['backdoor-patch', { rate: 0.03, target: '0' }],
  ])(
    'ranks the source that sent %s poison first and reports the records behind it',
    async (attack, params) => {
      const { x, labels, sources, poisonedRows } = poisonOneSource(attack, params)
      // The members train on this thread: worker threads give the same members (src/robust/ensemble.test.ts), and
      // next to the suite's other worker they only added the cost of starting them.
      const report = await compareSourceModels(x, labels, { sources })
      const [first, second] = report.sources
      expect(first.source).toBe(poisonedSource)
      expect(first.flagged).toBe(true)
      expect(first.pValue).toBeLessThan(second.pValue)
      // Most of the poisoned records are among those the other sources' consensus contradicts.
      const behind = new Set(first.records)
      const found = poisonedRows.filter((row) => behind.has(row)).length
      expect(found / poisonedRows.length).toBeGreaterThan(0.5)
    },
  )
})
