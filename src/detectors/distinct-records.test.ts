import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { inMemoryDataset } from '../../test/fixtures/datasets.js'
import { prepareAsScan } from '../../test/fixtures/detectors.js'
import type { LinalgBackend } from '../linalg/backend.js'
import { createDefaultBackend } from '../linalg/default-backend.js'
import { countingRecordsOnce } from './distinct-records.js'
import { type DetectorInput, defineDetector } from './types.js'

let backend: LinalgBackend
beforeAll(async () => {
  backend = await createDefaultBackend()
})
afterAll(async () => {
  await backend.dispose()
})

/** Records on a line at 0, 1, 2, …, labelled by parity; `repeats` lists rows written again at the end. */
function lineInput(rowCount: number, repeats: readonly number[]) {
  const rows = [...Array.from({ length: rowCount }, (_, row) => row), ...repeats]
  return prepareAsScan(
    inMemoryDataset({
      features: { data: Float32Array.from(rows), rows: rows.length, cols: 1 },
      labels: rows.map((row) => (row % 2 === 0 ? 'even' : 'odd')),
    }),
    backend,
  )
}

/** A detector that reports what it was given: its row count, and each record's suspicion its first neighbour's id. */
function probe(seen: { input?: DetectorInput; neighbours?: Int32Array }) {
  return countingRecordsOnce(
    defineDetector({
      id: 'probe',
      kind: 'label_issue',
      summary: 'what the detector is given',
      requires: ['features'],
      params: z.object({}),
      async run(input) {
        const graph = await input.neighbours(3)
        seen.input = input
        seen.neighbours = graph.indices
        return {
          suspicion: Float32Array.from({ length: input.rowCount }, (_, row) => row / input.rowCount),
          flagged: Uint8Array.from({ length: input.rowCount }, (_, row) => row % 2),
          explanations: Array.from({ length: input.rowCount }, (_, row) => `record ${input.ids[row]}`),
          info: { rows: input.rowCount },
          warnings: [],
        }
      },
    }),
  )
}

describe('countingRecordsOnce', () => {
  it('runs the detector on each record once and gives every repeat its first copy’s result', async () => {
    const input = await lineInput(12, [5, 5, 5, 8])
    const seen: { input?: DetectorInput; neighbours?: Int32Array } = {}
    const result = await probe(seen).run(input, {}, { seed: 0 })
    expect(seen.input!.rowCount).toBe(12)
    expect(result.info).toEqual({ rows: 12 })
    expect(result.suspicion.length).toBe(16)
    for (const [repeat, first] of [
      [12, 5],
      [13, 5],
      [14, 5],
      [15, 8],
    ]) {
      expect(result.suspicion[repeat]).toBe(result.suspicion[first])
      expect(result.flagged[repeat]).toBe(result.flagged[first])
      expect(result.explanations[repeat]).toBe(`record ${input.ids[first]}`)
    }
  })

  it('reads neighbours among the distinct records: its own copies left out, another’s counted once', async () => {
    const seen: { neighbours?: Int32Array } = {}
    await probe(seen).run(await lineInput(12, [5, 5, 5, 6, 6]), {}, { seed: 0 })
    // Record 5's three nearest distinct records are 4 and 6 (at distance 1) and 3 or 7; record 6 once among them.
    const ofFive = Array.from(seen.neighbours!.subarray(5 * 3, 6 * 3))
    expect(ofFive.slice(0, 2).sort()).toEqual([4, 6])
    expect([3, 7]).toContain(ofFive[2])
  })

  it('hands data without repeats to the detector as it is', async () => {
    const input = await lineInput(12, [])
    const seen: { input?: DetectorInput } = {}
    await probe(seen).run(input, {}, { seed: 0 })
    expect(seen.input).toBe(input)
  })
})
