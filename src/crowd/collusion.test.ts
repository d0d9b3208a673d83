import { describe, expect, it } from 'vitest'
import { findCollusion } from './collusion.js'
import { fitDawidSkene } from './dawid-skene.js'
import { measureReliability } from './reliability.js'
import { type SimulatedAnnotator, simulateCrowd, spreadAccuracies } from './simulate.js'
import type { AnnotationTable } from './types.js'

const truth = Int32Array.from({ length: 400 }, (_, i) => (i * 5) % 3)

function honestCrowd(seed: number, low = 0.7): AnnotationTable {
  const annotators: SimulatedAnnotator[] = spreadAccuracies(12, low, 0.97).map((accuracy) => ({
    kind: 'honest',
    accuracy,
  }))
  return simulateCrowd(truth, 3, annotators, 5, seed).table
}

/** The table plus a new annotator who copies `leader`'s answer sheet, in its order, `lag` seconds later. */
function withCopier(table: AnnotationTable, leader: number, lag: number): AnnotationTable {
  const copied = Array.from(table.annotator.keys()).filter((a) => table.annotator[a] === leader)
  const copier = table.annotatorIds.length
  const time = table.time ?? new Float64Array(table.item.length)
  return {
    ...table,
    annotatorIds: [...table.annotatorIds, 'copier'],
    item: Int32Array.from([...table.item, ...copied.map((a) => table.item[a])]),
    annotator: Int32Array.from([...table.annotator, ...copied.map(() => copier)]),
    label: Int32Array.from([...table.label, ...copied.map((a) => table.label[a])]),
    time: Float64Array.from([...time, ...copied.map((a) => time[a] + lag)]),
  }
}

function collusionIn(table: AnnotationTable) {
  const fit = fitDawidSkene(table)
  return findCollusion(
    table,
    { posterior: fit.posterior, confusion: fit.confusion ?? new Float64Array() },
    measureReliability(table, fit.posterior),
  )
}

describe('findCollusion', () => {
  it('links no one in honest crowds', () => {
    for (const seed of [1, 2, 3]) expect(collusionIn(honestCrowd(seed, 0.55))).toEqual([])
  })

  it('links an annotator who copies an accurate colleague’s answer sheet, by the copied sequence and the timing', () => {
    const leader = 11
    const table = withCopier(honestCrowd(4), leader, 5)
    const groups = collusionIn(table)
    expect(groups.map((group) => group.annotators)).toEqual([[leader, 12]])
    const [edge] = groups[0].edges
    expect(edge.signals).toContain('copied-sequence')
    expect(edge.copiedRun).toBe(edge.shared)
    expect(edge.closeInTime).toBe(edge.shared)
    expect(edge.expectedCloseInTime).toBeLessThan(1)
  })

  it('does not call a shared answer sheet copied when it was answered in another order', () => {
    const table = withCopier(honestCrowd(4), 11, 5)
    const reversed = {
      ...table,
      time: table.time?.map((time, a) => (table.annotator[a] === 12 ? -time : time)),
    }
    // Same answers, same items, only the order differs: with so few shared mistakes nothing links them.
    expect(collusionIn(reversed)).toEqual([])
  })
})
