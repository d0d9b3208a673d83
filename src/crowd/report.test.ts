import { describe, expect, it } from 'vitest'
import { aggregateCrowd } from './aggregate.js'
import { buildCrowdReport } from './report.js'
import { type SimulatedAnnotator, simulateCrowd, spreadAccuracies } from './simulate.js'
import type { AnnotationTable } from './types.js'

describe('buildCrowdReport', () => {
  const truth = Int32Array.from({ length: 500 }, (_, i) => (i * 7) % 4)
  const colluder: SimulatedAnnotator = { kind: 'colluder', accuracy: 0.9, victim: 2, target: 3 }
  const annotators = spreadAccuracies(12, 0.65, 0.95).map(
    (accuracy, j): SimulatedAnnotator => ([1, 5, 9].includes(j) ? colluder : { kind: 'honest', accuracy }),
  )
  const simulated = simulateCrowd(truth, 4, annotators, 5, 3).table
  // One more item, answered by a colluder alone.
  const table: AnnotationTable = {
    ...simulated,
    itemIds: [...simulated.itemIds, 'lonely'],
    item: Int32Array.from([...simulated.item, simulated.itemIds.length]),
    annotator: Int32Array.from([...simulated.annotator, 1]),
    label: Int32Array.from([...simulated.label, 3]),
    time: undefined,
  }
  const result = aggregateCrowd(table)
  const report = buildCrowdReport(table, result, {
    version: 'test',
    input: { path: 'answers.csv', format: 'csv', sha256: 'x' },
    model: 'dawid-skene',
    adversaries: 'exclude',
    warnings: [],
  })

  it('says who was set aside and why, and names the group and what it pushed', () => {
    expect(report.summary).toMatchObject({ flaggedAnnotators: 3, excludedAnnotators: 3, groups: 1 })
    expect(report.groups[0]).toMatchObject({
      annotators: ['worker1', 'worker5', 'worker9'],
      pushed: { trueClass: 'c2', label: 'c3' },
    })
    const worker9 = report.annotators[9]
    expect(worker9).toMatchObject({ annotator: 'worker9', flagged: true, weight: 0 })
    expect(worker9.reason).toContain('colludes with worker1, worker5 (group 1)')
    expect(report.annotators[0]).toMatchObject({ flagged: false, weight: 1, reason: '' })
  })

  it('reports an item only set-aside annotators answered', () => {
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        item: 'lonely',
        explanation: expect.stringMatching(/^only set-aside annotators answered/),
      }),
    )
  })

  it('survives a JSON round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
  })
})
