import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prepareAsScan } from '../../../test/fixtures/detectors.js'
import { zooDataset } from '../../../test/fixtures/zoo.js'
import { applyAttack } from '../../attacks/registry.js'
import type { Dataset } from '../../data/dataset.js'
import type { LinalgBackend } from '../../linalg/backend.js'
import { createDefaultBackend } from '../../linalg/default-backend.js'
import { mixingData, mixingNull, mixingPValue } from './mixing.js'
import { sameLabelGroups } from './score.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

afterAll(async () => {
  await backend.dispose()
})

/** The scan's mixing inputs for a dataset, and its groups of same-label mutual neighbours (members per group). */
async function groupsOf(dataset: Dataset) {
  const input = await prepareAsScan(dataset, backend)
  const codes = input.labels!.codes
  const graph = await input.neighbours(50)
  const groupOf = sameLabelGroups(await input.neighbours(10), codes, 10)
  const members = new Map<number, number[]>()
  groupOf.forEach((group, row) => {
    if (group >= 0) members.set(group, [...(members.get(group) ?? []), row])
  })
  const data = mixingData(input.features!, graph, codes, input.labels!.classes.length)
  return { data, groups: [...members.values()].map((rows) => Int32Array.from(rows)) }
}

describe('mixingPValue on real digits', () => {
  it('finds 60 feature-collision poisons moved toward their target, against the data’s own groups', async () => {
    const run = applyAttack('feature-collision', zooDataset('digits-8'), { poisons: 60 }, 1)
    const { data, groups } = await groupsOf(run.dataset)
    const planted = new Set(run.poisonedRows)
    const poisons = groups.reduce((best, group) =>
      group.filter((row) => planted.has(row)).length > best.filter((row) => planted.has(row)).length
        ? group
        : best,
    )
    expect(poisons.filter((row) => planted.has(row)).length).toBeGreaterThanOrEqual(50)
    const tested = new Uint8Array(data.graph.rows)
    for (const row of poisons) tested[row] = 1
    expect(mixingPValue(data, poisons, mixingNull(data, tested))).toBeLessThan(1e-3)
  })

  it.each(['digits-8', 'digits-14'] as const)(
    'gives no natural group of clean %s a small p-value',
    async (name) => {
      const { data, groups } = await groupsOf(zooDataset(name))
      const largest = new Map<number, number>()
      for (const group of groups)
        largest.set(data.codes[group[0]], Math.max(largest.get(data.codes[group[0]]) ?? 0, group.length))
      // Groups apart from their class's body, as the detector tests them.
      const detached = groups.filter(
        (group) => group.length >= 5 && group.length < largest.get(data.codes[group[0]])!,
      )
      expect(detached.length).toBeGreaterThanOrEqual(1)
      const tested = new Uint8Array(data.graph.rows)
      for (const group of detached) for (const row of group) tested[row] = 1
      const groupNull = mixingNull(data, tested)
      for (const group of detached) expect(mixingPValue(data, group, groupNull)).toBeGreaterThan(0.01)
    },
  )
})
