import { describe, expect, it } from 'vitest'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { createRng } from '../../util/rng.js'
import { measureContentSupport } from './content.js'
import { IncidenceBuilder } from './incidence.js'
import { type MiningOptions, mineTriggerFeatures } from './mine.js'
import { groupTriggers } from './triggers.js'

/**
 * 2,000 records of two content classes whose neighbours share their content; `relabel` rows carry feature 7
 * and get label 0 although their content is 1. Feature 3 marks 60 ordinary class-0 records, feature 5 random ones.
 */
function plantedData(relabel: boolean) {
  const rowCount = 2000
  const k = 10
  const rng = createRng(11)
  const content = Int32Array.from({ length: rowCount }, (_, row) => row % 2)
  const codes = Int32Array.from(content)
  const indices = new Int32Array(rowCount * k)
  for (let row = 0; row < rowCount; row++)
    for (let position = 0; position < k; position++)
      indices[row * k + position] = 2 * rng.int(rowCount / 2) + content[row]
  const graph: NeighbourGraph = {
    rows: rowCount,
    k,
    indices,
    distances: new Float32Array(rowCount * k).fill(1),
  }
  const carriers7 = Array.from({ length: 60 }, (_, index) => 4 * index + 1)
  const builder = new IncidenceBuilder(rowCount, 10)
  for (let row = 0; row < rowCount; row++) {
    if (carriers7.includes(row)) {
      builder.add(7)
      if (relabel) codes[row] = 0
    }
    if (row % 2 === 0 && row < 240) builder.add(3)
    if (rng.next() < 0.05) builder.add(5)
    builder.endRow()
  }
  return { incidence: builder.build(), codes, support: measureContentSupport(graph, codes, 2), carriers7 }
}

const options: MiningOptions = {
  minRows: 5,
  maxCarriers: 500,
  minRatio: 1.5,
  significance: 0.01,
  maxCandidates: 100,
  excludeCarriers: false,
}

describe('mineTriggerFeatures', () => {
  it('finds the feature whose carriers hold a label their content does not predict, and only that one', () => {
    const { incidence, codes, support, carriers7 } = plantedData(true)
    const mined = mineTriggerFeatures(incidence, codes, support, options)
    expect(mined.evidence.map((item) => [item.feature, item.label])).toEqual([[7, 0]])
    expect(mined.evidence[0]).toMatchObject({ carriers: 60, observed: 60 })
    expect(mined.evidence[0].expected).toBeLessThan(10)
    const [group] = groupTriggers({ incidence, codes, support, minRows: 5, excludeCarriers: false, ...mined })
    expect(Array.from(group.rows)).toEqual(carriers7)
    expect(Math.min(...group.suspicion)).toBeGreaterThan(0.5)
  })

  it('finds nothing when the same records keep the label their content predicts', () => {
    const { incidence, codes, support } = plantedData(false)
    expect(mineTriggerFeatures(incidence, codes, support, options).evidence).toEqual([])
  })
})
