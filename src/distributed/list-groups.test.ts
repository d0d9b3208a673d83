import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { estimateListCosts, type IvfSearchPlan } from '../linalg/ann/lists.js'
import { groupLists } from './list-groups.js'

/**
 * A plan whose lists hold the given row counts, each list's nearest lists the next ones round the ring, and the rows
 * of the `probes − 1` lists before each list filed under it.
 */
function planOf(sizes: readonly number[], probes: number): IvfSearchPlan {
  const lists = sizes.length
  const starts = new Int32Array(lists + 1)
  sizes.forEach((size, list) => {
    starts[list + 1] = starts[list] + size
  })
  const reach = lists - 1
  const nearest = new Int32Array(lists * reach)
  for (let list = 0; list < lists; list++)
    for (let i = 0; i < reach; i++) nearest[list * reach + i] = (list + 1 + i) % lists
  const rows = Int32Array.from({ length: starts[lists] }, (_, row) => row)
  const filedRows: number[] = []
  const filedStarts = new Int32Array(lists + 1)
  for (let list = 0; list < lists; list++) {
    for (let back = 1; back < Math.min(probes, lists); back++) {
      const other = (list + lists - back) % lists
      for (let row = starts[other]; row < starts[other + 1]; row++) filedRows.push(row)
    }
    filedStarts[list + 1] = filedRows.length
  }
  const filed = Int32Array.from(filedRows)
  return { k: 5, metric: 'euclidean', probes, rows, starts, filed, filedStarts, nearest, reach }
}

const sizes = fc
  .array(fc.nat({ max: 400 }), { minLength: 2, maxLength: 300 })
  .filter((all) => all.some(Boolean))

describe('groupLists', () => {
  it('puts every list in one run of consecutive lists, none of them empty of rows', () => {
    fc.assert(
      fc.property(
        sizes,
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 1e6 }),
        (all, probes, pairs) => {
          const plan = planOf(all, probes)
          const groups = groupLists(plan, { pairsPerGroup: pairs })
          expect(groups[0].firstList).toBe(0)
          expect(groups.at(-1)!.endList).toBe(all.length)
          groups.forEach((group, index) => {
            expect(group.endList).toBeGreaterThan(group.firstList)
            if (index > 0) expect(group.firstList).toBe(groups[index - 1].endList)
            expect(plan.starts[group.endList]).toBeGreaterThan(plan.starts[group.firstList])
          })
        },
      ),
    )
  })

  it('shares the work out evenly: no group holds more than its share and one list', () => {
    fc.assert(
      fc.property(sizes, fc.integer({ min: 1, max: 8 }), (all, probes) => {
        const plan = planOf(all, probes)
        const costs = estimateListCosts(plan)
        const total = costs.reduce((sum, cost) => sum + cost, 0)
        const groups = groupLists(plan, { pairsPerGroup: Number.POSITIVE_INFINITY })
        const largest = Math.max(...costs)
        for (const { firstList, endList } of groups) {
          const cost = costs.subarray(firstList, endList).reduce((sum, value) => sum + value, 0)
          expect(cost).toBeLessThanOrEqual((2 * total) / 24 + largest)
        }
        expect(groups.length).toBeLessThanOrEqual(24)
      }),
    )
  })

  it('makes about as many groups as the work asks for', () => {
    const plan = planOf(
      Array.from({ length: 1000 }, (_, list) => 50 + (list % 7) * 10),
      4,
    )
    const total = estimateListCosts(plan).reduce((sum, cost) => sum + cost, 0)
    expect(groupLists(plan, { pairsPerGroup: total / 100 }).length).toBeGreaterThanOrEqual(99)
    expect(groupLists(plan, { pairsPerGroup: total / 100 }).length).toBeLessThanOrEqual(101)
    expect(groupLists(plan, { pairsPerGroup: total }).length).toBeGreaterThanOrEqual(23)
    expect(groupLists(plan, { pairsPerGroup: 1, rowsPerGroup: 800 }).length).toBe(
      Math.ceil(plan.rows.length / 800),
    )
  })
})
