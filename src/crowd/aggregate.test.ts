import { describe, expect, it } from 'vitest'
import { aggregateCrowd, modelFitters } from './aggregate.js'
import { accuracyOf, type SimulatedAnnotator, simulateCrowd, spreadAccuracies } from './simulate.js'
import { AnnotationTableBuilder } from './table-builder.js'
import { aggregationModels } from './types.js'

const truth = Int32Array.from({ length: 500 }, (_, i) => (i * 7) % 4)

function crowdWith(adversaries: Record<number, SimulatedAnnotator>, count = 12, seed = 3) {
  const annotators: SimulatedAnnotator[] = spreadAccuracies(count, 0.65, 0.95).map(
    (accuracy, j) => adversaries[j] ?? { kind: 'honest', accuracy },
  )
  return simulateCrowd(truth, 4, annotators, 5, seed).table
}

const colluder: SimulatedAnnotator = { kind: 'colluder', accuracy: 0.9, victim: 2, target: 3 }
const colluders = { 1: colluder, 5: colluder, 9: colluder }

function flagged(suspicions: readonly (readonly unknown[])[]): number[] {
  return suspicions.flatMap((found, j) => (found.length > 0 ? [j] : []))
}

describe('aggregateCrowd', () => {
  it('excludes flagged annotators by default and refits without them', () => {
    const result = aggregateCrowd(crowdWith(colluders))
    expect(flagged(result.suspicions)).toEqual([1, 5, 9])
    expect(Array.from(result.weight)).toEqual([1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1])
    expect(result.fit).not.toBe(result.initialFit)
    expect(result.majoritySuspicious).toBe(false)
  })

  it('down-weights or keeps them on request, flagging them all the same', () => {
    const table = crowdWith(colluders)
    const down = aggregateCrowd(table, { adversaries: 'down-weight', downWeight: 0.25 })
    expect(Array.from(down.weight).filter((w) => w !== 1)).toEqual([0.25, 0.25, 0.25])
    const kept = aggregateCrowd(table, { adversaries: 'keep' })
    expect(flagged(kept.suspicions)).toEqual([1, 5, 9])
    expect(kept.fit).toBe(kept.initialFit)
    expect(kept.changedItems).toBe(0)
  })

  it('sets nobody aside when most of the crowd looks suspicious', () => {
    // A spammer threshold no one passes makes every annotator suspicious.
    const result = aggregateCrowd(crowdWith(colluders), { detection: { spammerKappa: 1.01 } })
    expect(flagged(result.suspicions)).toHaveLength(12)
    expect(result.majoritySuspicious).toBe(true)
    expect(Array.from(result.weight).every((w) => w === 1)).toBe(true)
  })

  it('finds the same colluders whichever model it fits, and every model beats chance by far', () => {
    const table = crowdWith(colluders)
    for (const model of aggregationModels) {
      const result = aggregateCrowd(table, { model })
      expect(flagged(result.suspicions), model).toEqual([1, 5, 9])
      expect(accuracyOf(modelFitters[model](table).label, truth), model).toBeGreaterThan(0.9)
    }
  })

  it('judges nobody when every answer is the same class', () => {
    const builder = new AnnotationTableBuilder()
    for (let i = 0; i < 30; i++)
      for (const who of ['a', 'b', 'c']) builder.add(`i${i}`, who, 'x', Number.NaN, i + 1)
    const result = aggregateCrowd(builder.build().table)
    expect(flagged(result.suspicions)).toEqual([])
    expect(result.groups).toEqual([])
    expect(result.fit.confidence.every((value) => value === 1)).toBe(true)
  })
})
