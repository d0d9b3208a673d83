import { describe, expect, it } from 'vitest'
import { aggregateCrowd } from '../crowd/aggregate.js'
import { buildCrowdReport } from '../crowd/report.js'
import { simulateCrowd } from '../crowd/simulate.js'
import { renderCrowdHtml } from './crowd-html.js'

describe('renderCrowdHtml', () => {
  it('escapes annotator, item and class names and draws a matrix per annotator and the graph of a group', () => {
    const truth = Int32Array.from({ length: 300 }, (_, i) => i % 2)
    const { table } = simulateCrowd(
      truth,
      2,
      [
        { kind: 'honest', accuracy: 0.9 },
        { kind: 'honest', accuracy: 0.85 },
        { kind: 'honest', accuracy: 0.8 },
        { kind: 'colluder', accuracy: 0.9, victim: 1, target: 0 },
        { kind: 'colluder', accuracy: 0.9, victim: 1, target: 0 },
      ],
      4,
      2,
    )
    const hostile = {
      ...table,
      annotatorIds: table.annotatorIds.map((id, j) => (j === 3 ? '<img src=x onerror=alert(1)>' : id)),
      classes: ['"no"', '<b>yes</b>'],
    }
    const result = aggregateCrowd(hostile)
    const report = buildCrowdReport(hostile, result, {
      version: 'test',
      input: { path: 'answers.csv', format: 'csv', sha256: 'x' },
      model: 'dawid-skene',
      adversaries: 'exclude',
      warnings: [],
    })
    const page = renderCrowdHtml(report)
    expect(page).not.toContain('<img src=x')
    expect(page).not.toContain('<b>yes</b>')
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(page.match(/class="matrix"/g)).toHaveLength(5)
    expect(report.groups).toHaveLength(1)
    expect(page.match(/<line class="edge"/g)).toHaveLength(report.groups[0].evidence.length)
  })
})
