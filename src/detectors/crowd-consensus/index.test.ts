import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { crowdLabelledDataset } from '../../../test/fixtures/crowd.js'
import { mnistDataset } from '../../../test/fixtures/datasets.js'
import { countFlagged, runDetectorAlone } from '../../../test/fixtures/detectors.js'
import { aggregateCrowd } from '../../crowd/aggregate.js'
import { crowdEvidence } from '../../crowd/evidence.js'
import type { Dataset } from '../../data/dataset.js'
import { averagePrecision } from '../../evaluation/metrics.js'
import type { LinalgBackend } from '../../linalg/backend.js'
import { createPortableBackend } from '../../linalg/portable.js'
import { scanDataset } from '../../scan/scan.js'
import type { Detector } from '../types.js'
import { crowdConsensusDetector } from './index.js'

let backend: LinalgBackend
let crowd: ReturnType<typeof crowdLabelledDataset>
let withCrowd: Dataset

beforeAll(() => {
  backend = createPortableBackend()
  crowd = crowdLabelledDataset(mnistDataset(1500), '7', '1', 3)
  const result = aggregateCrowd(crowd.table, { model: 'glad' })
  const evidence = crowdEvidence({
    ids: crowd.poisoned.ids,
    labels: crowd.poisoned.labels!,
    table: crowd.table,
    result,
    source: 'answers.csv',
  })
  withCrowd = { ...crowd.poisoned, crowd: evidence }
})

afterAll(async () => {
  await backend.dispose()
})

const detect = (dataset: Dataset) =>
  runDetectorAlone(crowdConsensusDetector as Detector<unknown>, dataset, backend)

describe('crowd-consensus', () => {
  it('ranks the labels colluders pushed in and the labels no annotator gave first, and names the colluders', async () => {
    const result = await detect(withCrowd)
    const bad = Uint8Array.from(crowd.pushed, (pushed, row) => pushed | crowd.noisy[row])
    expect(countFlagged(crowd.pushed)).toBeGreaterThan(20)
    expect(averagePrecision(result.suspicion, bad)).toBeGreaterThanOrEqual(0.95)
    expect(countFlagged(result.flagged, (row) => bad[row] === 0)).toBeLessThanOrEqual(0.01 * bad.length)
    expect(countFlagged(result.flagged, (row) => crowd.pushed[row] === 1)).toBeGreaterThanOrEqual(
      0.9 * countFlagged(crowd.pushed),
    )
    const pushedRow = crowd.pushed.findIndex((pushed, row) => pushed === 1 && result.flagged[row] === 1)
    expect(result.explanations[pushedRow]).toMatch(/^labelled 1 but the crowd says 7 \(\d+%\) from 5 answers/)
    expect(result.explanations[pushedRow]).toMatch(
      /given by annotators found to be adversaries: worker1[6-9]/,
    )
    expect(result.suggestedLabels![pushedRow]).toBe(crowd.poisoned.labels!.classes.indexOf('7'))
    const [group] = result.attacks!
    expect(group.description).toMatch(/^4 annotators answering in concert/)
    for (const colluder of crowd.colluderIds) expect(group.description).toContain(colluder)
    expect(group.records).toBeGreaterThanOrEqual(0.9 * countFlagged(crowd.pushed))
  })

  it('refuses crowd evidence that does not cover the dataset row for row', async () => {
    const shorter = { ...withCrowd, rowCount: 1000, ids: withCrowd.ids.slice(0, 1000) }
    const labels = withCrowd.labels!
    const dataset = { ...shorter, labels: { ...labels, codes: labels.codes.slice(0, 1000) } }
    await expect(detect(dataset)).rejects.toThrow(/covers 1500 records but the dataset has 1000/)
  })

  it('is skipped, with how to give answers, in a scan without them', async () => {
    const report = await scanDataset(crowd.poisoned, { backend, detectors: ['crowd-consensus'] })
    expect(report.detectors[0]).toMatchObject({
      status: 'skipped',
      reason: 'no crowd answers about the records (give them with --annotations)',
    })
  })
})
