import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { mnistDataset } from '../../test/fixtures/datasets.js'
import { useTemporaryFolder } from '../../test/fixtures/files.js'
import { type SimulatedAnnotator, simulateCrowd, spreadAccuracies } from '../crowd/simulate.js'
import { writeDataset } from '../io/write-dataset.js'
import { crowdFile } from './crowd-file.js'

const path = useTemporaryFolder()

describe('crowdFile with the items’ own data', () => {
  it('combines a weak crowd with the model’s view of MNIST pixels and beats the crowd alone', async () => {
    const items = 1000
    // Ten more digits than answered items: rows nobody answered are reported, not learnt from.
    const digits = mnistDataset(items + 10)
    const truth = Int32Array.from(digits.labels?.codes ?? []).subarray(0, items)
    const annotators: SimulatedAnnotator[] = spreadAccuracies(6, 0.4, 0.6).map((accuracy) => ({
      kind: 'honest',
      accuracy,
    }))
    const { table } = simulateCrowd(truth, 10, annotators, 3, 7)
    const lines = ['item,annotator,label']
    for (let a = 0; a < table.item.length; a++)
      lines.push(`${digits.ids[table.item[a]]},${table.annotatorIds[table.annotator[a]]},${table.label[a]}`)
    writeFileSync(path('answers.csv'), `${lines.join('\n')}\n`)
    await writeDataset(digits, path('digits.csv'))
    const accuracyOf = (file: string) => {
      const rows = readFileSync(file, 'utf8').trim().split('\n').slice(1)
      const byId = new Map(digits.ids.map((id, row) => [id, truth[row]]))
      return (
        rows.filter((row) => {
          const [item, label] = row.split(',')
          return byId.get(item) === Number(label)
        }).length / items
      )
    }
    const crowdOnly = await crowdFile({ input: path('answers.csv'), out: path('crowd.csv') })
    const combined = await crowdFile({
      input: path('answers.csv'),
      out: path('combined.csv'),
      report: path('combined.json'),
      dataset: { path: path('digits.csv') },
    })
    const before = accuracyOf(path('crowd.csv'))
    const after = accuracyOf(path('combined.csv'))
    expect(crowdOnly.report.modelView).toBeUndefined()
    expect(combined.report.modelView).toMatchObject({ coveredItems: items })
    expect(combined.report.modelView?.overruledItems).toBeGreaterThan(0)
    expect(combined.report.warnings).toEqual([
      expect.stringMatching(/^10 items of the dataset .*digits.csv have no answer/),
    ])
    expect(after - before, `crowd ${before}, crowd and model ${after}`).toBeGreaterThan(0.03)
  })
})
