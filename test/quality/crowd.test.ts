import { describe, expect, it } from 'vitest'
import { aggregateCrowd, modelFitters } from '../../src/crowd/aggregate.js'
import {
  accuracyOf,
  type SimulatedAnnotator,
  simulateCrowd,
  spreadAccuracies,
} from '../../src/crowd/simulate.js'
import type { AnnotationTable } from '../../src/crowd/types.js'
import { mnistArrays, spamRecords } from '../fixtures/datasets.js'

/*
 * Simulated crowds over the built-in datasets: the true labels are the datasets' own, the answers come from
 * simulated annotators with fixed seeds, so every number below is measured against known ground truth.
 */
const ITEMS = 3000

function spamTruth(): Int32Array {
  return Int32Array.from(spamRecords().slice(0, ITEMS), (record) => (record.label === 'spam' ? 1 : 0))
}

function digitTruth(): Int32Array {
  return mnistArrays().labels.slice(0, ITEMS)
}

function honest(count: number): SimulatedAnnotator[] {
  return spreadAccuracies(count, 0.55, 0.95).map((accuracy) => ({ kind: 'honest', accuracy }))
}

/** The same table without the answers of the annotators in `drop`. */
function withoutAnnotators(table: AnnotationTable, drop: ReadonlySet<number>): AnnotationTable {
  const keep = Array.from(table.annotator.keys()).filter((a) => !drop.has(table.annotator[a]))
  const pick = <T extends Int32Array | Float64Array>(column: T) =>
    column.constructor === Int32Array
      ? (Int32Array.from(keep, (a) => column[a]) as T)
      : (Float64Array.from(keep, (a) => column[a]) as T)
  return {
    ...table,
    item: pick(table.item),
    annotator: pick(table.annotator),
    label: pick(table.label),
    time: table.time && pick(table.time),
  }
}

function flaggedSet(suspicions: readonly (readonly unknown[])[]): Set<number> {
  return new Set(suspicions.flatMap((found, j) => (found.length > 0 ? [j] : [])))
}

describe('crowd aggregation on simulated crowds', () => {
  it('Dawid–Skene beats majority vote by at least 3 points with 5 mixed-quality annotators per item', () => {
    const truth = spamTruth()
    for (const seed of [1, 2, 3]) {
      const { table } = simulateCrowd(truth, 2, honest(10), 5, seed)
      const vote = accuracyOf(modelFitters['majority-vote'](table).label, truth)
      const dawidSkene = accuracyOf(modelFitters['dawid-skene'](table).label, truth)
      expect(dawidSkene - vote, `seed ${seed}: DS ${dawidSkene}, MV ${vote}`).toBeGreaterThanOrEqual(0.03)
    }
  })

  it('finds 20% colluders pushing one label on one class, accuses ≤ 5% of honest annotators, matches the crowd without them', () => {
    let found = 0
    let colluderCount = 0
    let accused = 0
    let honestCount = 0
    for (const [seed, truth, classCount] of [
      [1, digitTruth(), 10],
      [2, digitTruth(), 10],
      [3, spamTruth(), 2],
    ] as const) {
      const crowd = honest(25).map((annotator, j): SimulatedAnnotator => {
        if (j % 5 !== 0 || annotator.kind !== 'honest') return annotator
        return { kind: 'colluder', accuracy: 0.9, victim: 1, target: 0 }
      })
      const colluders = new Set(crowd.flatMap((annotator, j) => (annotator.kind === 'colluder' ? [j] : [])))
      const { table } = simulateCrowd(truth, classCount, crowd, 5, seed)
      const result = aggregateCrowd(table)
      const flagged = flaggedSet(result.suspicions)
      colluderCount += colluders.size
      honestCount += crowd.length - colluders.size
      for (const j of flagged) if (colluders.has(j)) found++
      accused += [...flagged].filter((j) => !colluders.has(j)).length
      expect(result.groups.some((group) => group.annotators.every((j) => colluders.has(j)))).toBe(true)
      const clean = modelFitters['dawid-skene'](withoutAnnotators(table, colluders))
      expect(
        Math.abs(accuracyOf(result.fit.label, truth) - accuracyOf(clean.label, truth)),
      ).toBeLessThanOrEqual(0.01)
    }
    expect(found / colluderCount).toBeGreaterThanOrEqual(0.9)
    expect(accused / honestCount).toBeLessThanOrEqual(0.05)
  })

  it('names a single annotator who is right on 95% of items but always wrong on one class', () => {
    const crowd: SimulatedAnnotator[] = honest(20)
    crowd[7] = { kind: 'targeted', accuracy: 0.95, victim: 3, target: 8 }
    const { table } = simulateCrowd(digitTruth(), 10, crowd, 5, 4)
    const result = aggregateCrowd(table)
    expect([...flaggedSet(result.suspicions)]).toEqual([7])
    expect(result.suspicions[7]).toContainEqual(expect.objectContaining({ kind: 'targeted', classCode: 3 }))
  })

  it('finds spammers whose answers do not depend on the item', () => {
    const crowd: SimulatedAnnotator[] = honest(20)
    for (const j of [2, 9, 15]) crowd[j] = { kind: 'spammer' }
    const truth = digitTruth()
    const { table } = simulateCrowd(truth, 10, crowd, 5, 5)
    const result = aggregateCrowd(table)
    expect([...flaggedSet(result.suspicions)].sort((a, b) => a - b)).toEqual([2, 9, 15])
    expect(result.suspicions[9]).toContainEqual(expect.objectContaining({ kind: 'spammer' }))
    // Dawid–Skene already gives a spammer's answers almost no weight, so leaving them out changes little.
    const change = accuracyOf(result.fit.label, truth) - accuracyOf(result.initialFit.label, truth)
    expect(Math.abs(change)).toBeLessThanOrEqual(0.01)
  })
})
